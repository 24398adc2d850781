"""`changegate edit` and `list`, as processes against a live server: revise a rejected change,
record its dry-run, submit it, find it in the reviewers' queue and approve it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import PIPELINE, PLAN, SENIOR_1, SENIOR_2, Live
from tests.support.served import run_cli


async def test_a_rejected_change_is_revised_resubmitted_and_approved(
        live: Live, tmp_path: Path) -> None:
    change = await live.propose()
    await live.review(SENIOR_2, change, approved=False, comment="use edge-2")
    payload, plan = tmp_path / "payload.txt", tmp_path / "plan.txt"
    payload.write_text("neighbor 192.0.2.1 remote-as 65001\nneighbor 192.0.2.1 shutdown\n",
                       encoding="utf-8")
    plan.write_text(PLAN + "+ neighbor 192.0.2.1 shutdown\n", encoding="utf-8")

    ran = await run_cli("edit", change, "--set", "target=edge-2", "--set", f"payload=@{payload}",
                        "--dry-run-file", str(plan), "--submit", env=live.env(PIPELINE))

    assert ran.code == 0, ran.err
    assert ran.out == f"{change}\n"
    assert f"{change} is now revision 2" in ran.err
    assert f"submitted {change} pending_review" in ran.err
    _, stored = await live.call(PIPELINE, "GET", f"/changes/{change}")
    assert (stored["revision"], stored["state"]) == (2, "pending_review")
    assert stored["content"]["target"] == "edge-2"
    assert stored["content"]["payload"] == payload.read_text(encoding="utf-8")
    assert stored["dry_run"]["revision"] == 2
    assert [r["revision"] for r in stored["responses"]] == [1]  # the rejection stays in history

    queue = await run_cli("list", "--awaiting-me", env=live.env(SENIOR_1))
    assert queue.code == 0, queue.err
    assert any(line.split("\t")[:4] == [change, "pending_review", "high", "r2"]
               for line in queue.out.splitlines())

    review = await run_cli("review", change, "--approve", "--comment", "edge-2 is right",
                           "--yes", env=live.env(SENIOR_1))
    assert review.code == 0, review.err
    assert review.out.startswith(f"{change} approved, now pending_review")


async def test_edit_from_a_file_and_an_unchanged_edit(live: Live, tmp_path: Path) -> None:
    change = await live.propose()
    await live.review(SENIOR_1, change, approved=False, comment="no ticket")
    fields = tmp_path / "fields.json"
    fields.write_text(json.dumps({"ticket": "CHG-3192", "labels": ["env=prod"]}),
                      encoding="utf-8")

    ran = await run_cli("edit", change, "--file", str(fields), "--json", env=live.env())
    again = await run_cli("edit", change, "--file", str(fields), env=live.env())

    assert ran.code == 0, ran.err
    edited = json.loads(ran.out)
    assert (edited["revision"], edited["state"]) == (1, "rejected")
    assert edited["metadata"]["ticket"] == "CHG-3192"
    assert "keeps revision 1" in ran.err
    assert again.code == 0 and f"{change} is unchanged" in again.err


async def test_edit_names_what_is_wrong(live: Live) -> None:
    change = await live.propose()

    unknown = await run_cli("edit", change, "--set", "colour=red", env=live.env())
    nothing = await run_cli("edit", change, env=live.env())
    shape = await run_cli("edit", change, "--set", "target", env=live.env())
    blank = await run_cli("edit", change, "--set", "target=", env=live.env())

    assert unknown.code == 1 and "--set colour: not a field of a change" in unknown.err
    assert nothing.code == 1 and "nothing to do" in nothing.err
    assert shape.code == 1 and "'target' is not FIELD=VALUE" in shape.err
    assert blank.code == 1 and "target" in blank.err
    _, stored = await live.call(PIPELINE, "GET", f"/changes/{change}")
    assert (stored["revision"], stored["content"]["target"]) == (1, "edge-1")


async def test_list_filters_mine_and_state(live: Live) -> None:
    pending = await live.propose()
    rejected = await live.propose()
    await live.review(SENIOR_1, rejected, approved=False, comment="no")

    mine = await run_cli("list", "--mine", "--state", "rejected", env=live.env(PIPELINE))
    seniors = await run_cli("list", "--mine", env=live.env(SENIOR_1))
    as_json = await run_cli("list", "--state", "pending_review,rejected", "--limit", "2",
                            "--json", env=live.env(SENIOR_1))
    bad = await run_cli("list", "--state", "lost", env=live.env(SENIOR_1))

    assert mine.code == 0, mine.err
    ids = [line.split("\t")[0] for line in mine.out.splitlines()]
    assert rejected in ids and pending not in ids
    assert all(line.split("\t")[1] == "rejected" for line in mine.out.splitlines())
    assert (seniors.code, seniors.out) == (0, "") and "no changes" in seniors.err
    assert [c["id"] for c in json.loads(as_json.out)] == [rejected, pending]
    assert bad.code == 1 and "state" in bad.err and "lost" in bad.err
