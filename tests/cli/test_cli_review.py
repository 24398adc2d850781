"""`changegate review` (several changes in one call, one line each) and `post-review`, as
processes."""

from __future__ import annotations

import asyncio
import json

from tests.cli.conftest import PIPELINE, SENIOR_1, SENIOR_2, Live
from tests.support.served import PROCESS_TIMEOUT_S, finish, run_cli, start_cli

LINK = "https://grafana.example.net/d/bgp"


async def test_review_approves_each_change_and_names_each_refusal(live: Live) -> None:
    first, second = await live.propose(), await live.propose()
    await live.review(SENIOR_2, second, approved=False, comment="wrong AS")

    ran = await run_cli("review", first, second, "--approve", "--comment", "diff ok",
                        env=live.env(SENIOR_1), stdin=b"y\n")

    assert ran.code == 1, ran.err
    assert ran.out.splitlines() == [
        f"{first} approved, now pending_review, workflow high, stage 1 of 1 needs 2 of "
        "senior-network-engineers (1 so far)",
        f"{second} refused (wrong_state): cannot approve: {second} is already rejected",
    ]
    _, stored = await live.call(SENIOR_1, "GET", f"/changes/{first}")
    assert [(r["person"], r["comment"]) for r in stored["responses"]] == [(SENIOR_1, "diff ok")]


async def test_review_rejects_several_with_one_reason(live: Live) -> None:
    changes = [await live.propose() for _ in range(3)]

    ran = await run_cli("review", *changes, "--reject", "--comment", "change freeze", "--json",
                        "--yes", env=live.env(SENIOR_1))

    assert ran.code == 0, ran.err
    answer = json.loads(ran.out)
    assert [r["change"]["state"] for r in answer["results"]] == ["rejected"] * 3
    assert answer["results"][0]["change"]["responses"][0]["comment"] == "change freeze"


async def test_reject_without_a_reason_is_refused_before_anything_is_sent(live: Live) -> None:
    change = await live.propose()

    ran = await run_cli("review", change, "--reject", env=live.env(SENIOR_1))
    both = await run_cli("review", change, "--approve", "--reject", env=live.env(SENIOR_1))

    assert (ran.code, ran.out) == (1, "")
    assert "--reject needs --comment" in ran.err
    assert both.code == 1 and "not allowed with argument" in both.err
    _, stored = await live.call(SENIOR_1, "GET", f"/changes/{change}")
    assert stored["responses"] == []


async def test_review_shows_what_it_binds_to_and_refuses_a_change_that_moved_on(
        live: Live) -> None:
    change = await live.propose()
    process = await start_cli("review", change, "--approve", env=live.env(SENIOR_1),
                              stdin=asyncio.subprocess.PIPE)
    assert process.stderr is not None and process.stdin is not None
    shown = (await asyncio.wait_for(process.stderr.readline(), PROCESS_TIMEOUT_S)).decode()
    assert shown.startswith(f"{change} revision 1 · bgp add on edge-1 · high · dry-run sha256:")
    # While the reviewer reads, the requester makes revision 2 with its own dry-run.
    await live.call(PIPELINE, "POST", f"/changes/{change}/withdraw", {})
    await live.call(PIPELINE, "PATCH", f"/changes/{change}",
                    {"payload": "no router bgp 65000", "revision": 1})
    await live.call(PIPELINE, "POST", f"/changes/{change}/dry-run",
                    {"output": "- router bgp 65000", "revision": 2})
    await live.call(PIPELINE, "POST", f"/changes/{change}/submit", {})

    ran = await finish(process, b"y\n")

    assert ran.code == 1, ran.err
    assert ran.out.startswith(f"{change} refused (revision_changed): {change} is at revision 2")
    _, stored = await live.call(SENIOR_1, "GET", f"/changes/{change}")
    assert stored["responses"] == []


async def test_review_asks_first_and_a_no_sends_nothing(live: Live) -> None:
    change = await live.propose()

    ran = await run_cli("review", change, "--approve", env=live.env(SENIOR_1), stdin=b"n\n")

    assert ran.code == 1 and "nothing reviewed" in ran.err
    assert "Approve the 1 change(s) shown above? [y/N]" in ran.err
    _, stored = await live.call(SENIOR_1, "GET", f"/changes/{change}")
    assert stored["responses"] == []


async def test_post_review_records_how_an_applied_change_went(live: Live) -> None:
    change = await live.propose()
    for senior in (SENIOR_1, SENIOR_2):
        await live.review(senior, change)
    await live.call(PIPELINE, "POST", f"/changes/{change}/apply")
    await live.call(PIPELINE, "POST", f"/changes/{change}/result", {"status": "applied"})

    ran = await run_cli("post-review", change, "--outcome", "successful_with_issues",
                        "--note", "one session flapped", "--link", LINK, env=live.env())
    other = await run_cli("post-review", change, "--outcome", "successful", "--note", "ok",
                          env=live.env(SENIOR_1))

    assert (ran.code, ran.out) == (0, f"{change} applied, reviewed successful_with_issues\n")
    _, stored = await live.call(PIPELINE, "GET", f"/changes/{change}")
    assert (stored["post_review"]["note"], stored["post_review"]["links"]) == (
        "one session flapped", [LINK])
    assert other.code == 1 and "insufficient_scope" in other.err
