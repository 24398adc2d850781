"""`changegate list --needs-action | --approved-by-me` and `changegate copy`, as processes
against a live server."""

from __future__ import annotations

import json

from tests.cli.conftest import CHANGE, PIPELINE, SENIOR_1, SENIOR_2, Live
from tests.support.served import run_cli


def listed(out: str) -> list[str]:
    return [line.split("\t")[0] for line in out.splitlines()]


async def test_what_needs_me_and_what_i_approved_are_listed(live: Live) -> None:
    rejected = await live.propose()
    await live.review(SENIOR_2, rejected, approved=False, comment="use edge-2")
    halfway = await live.propose()
    await live.review(SENIOR_1, halfway)
    waiting = await live.propose()

    needs = await run_cli("list", "--needs-action", env=live.env(PIPELINE))
    approved = await run_cli("list", "--approved-by-me", env=live.env(SENIOR_1))
    theirs = await run_cli("list", "--approved-by-me", env=live.env(SENIOR_2))
    both = await run_cli("list", "--mine", "--needs-action", env=live.env(PIPELINE))

    assert needs.code == 0, needs.err
    assert rejected in listed(needs.out) and waiting not in listed(needs.out)
    assert all(line.split("\t")[1] == "rejected" for line in needs.out.splitlines())
    assert approved.code == 0, approved.err
    assert halfway in listed(approved.out) and waiting not in listed(approved.out)
    assert rejected not in listed(approved.out)  # approved, then rejected: not open any more
    assert halfway not in listed(theirs.out)
    assert both.code == 1 and "not allowed with argument" in both.err


async def test_a_withdrawn_change_is_copied_and_one_in_review_is_refused(live: Live) -> None:
    withdrawn = await live.propose()
    await live.call(PIPELINE, "POST", f"/changes/{withdrawn}/withdraw")
    in_review = await live.propose()

    copied = await run_cli("copy", withdrawn, env=live.env(PIPELINE))
    as_json = await run_cli("copy", withdrawn, "--json", env=live.env(PIPELINE))
    refused = await run_cli("copy", in_review, env=live.env(PIPELINE))

    assert copied.code == 0, copied.err
    new = copied.out.strip()
    assert new.startswith("CHG-") and new != withdrawn
    assert f"{new} is a copy of {withdrawn}, a draft of yours" in copied.err
    _, stored = await live.call(PIPELINE, "GET", f"/changes/{new}")
    assert (stored["state"], stored["requester"], stored["revision"]) == ("draft", PIPELINE, 1)
    assert stored["content"]["payload"] == CHANGE["payload"]
    assert stored["metadata"]["title"] == CHANGE["title"]
    assert json.loads(as_json.out)["id"] not in (new, withdrawn)
    assert refused.code == 1
    assert f"cannot copy: {in_review} is pending review" in refused.err
    assert "(HTTP 409, wrong_state)" in refused.err
