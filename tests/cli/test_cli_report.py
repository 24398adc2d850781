"""`changegate report` as a process, over a server where changes were reviewed, applied and
refused."""

from __future__ import annotations

import json

from tests.cli.conftest import PIPELINE, SENIOR_1, SENIOR_2, Live
from tests.support.served import run_cli


async def _applied(live: Live, status: str, outcome: str) -> str:
    change = await live.propose()
    for senior in (SENIOR_1, SENIOR_2):
        await live.review(senior, change)
    await live.call(PIPELINE, "POST", f"/changes/{change}/apply")
    await live.call(PIPELINE, "POST", f"/changes/{change}/result", {"status": status})
    code, _ = await live.call(PIPELINE, "POST", f"/changes/{change}/post-review",
                              {"outcome": outcome, "note": "as seen"})
    assert code == 200
    return change


async def test_report_counts_reviews_applies_approvals_and_refusals(live: Live) -> None:
    first = await _applied(live, "applied", "failed")
    await live.call(PIPELINE, "POST", f"/changes/{first}/post-review",
                    {"outcome": "successful", "note": "it recovered"})
    await _applied(live, "failed", "rolled_back")
    rejected = await live.propose()
    await live.review(SENIOR_2, rejected, approved=False, comment="wrong AS")
    code, _ = await live.call(SENIOR_1, "POST", f"/changes/{rejected}/review",
                              {"approved": True, "revision": 1, "digest": "none"})
    assert code == 409

    ran = await run_cli("report", "--since", "1h", "--json", env=live.env(SENIOR_1))
    text = await run_cli("report", "--since", "2000-01-01T00:00:00Z", env=live.env(SENIOR_1))

    assert ran.code == 0, ran.err
    summary = json.loads(ran.out)
    assert summary["reviews"] == {"successful": 1, "successful_with_issues": 0,
                                  "rolled_back": 1, "failed": 0}
    assert (summary["applied"], summary["failed"], summary["approvals"]) == (1, 1, 2)
    assert summary["median_time_to_approve_s"] >= 0
    assert summary["refusals"] == {"wrong_state": 1}
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == "Since 2000-01-01 00:00 UTC"
    assert "Post-implementation reviews: 2" in lines
    assert "Applies: 1 applied, 1 failed" in lines
    assert any(line.startswith("Median time to approve: ") and line.endswith("(2 approvals)")
               for line in lines)
    assert lines[-2:] == ["Refusals: 1", "  wrong_state             1"]


async def test_report_refuses_a_since_that_is_neither_a_time_nor_a_duration(live: Live) -> None:
    ran = await run_cli("report", "--since", "last week", env=live.env(SENIOR_1))

    assert ran.code == 1
    assert "neither a time with its zone" in ran.err
