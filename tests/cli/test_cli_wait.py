"""`changegate wait`: every documented exit code, its output, and the spinner on a terminal only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re

import pytest

from bot.cli.main import main
from tests.cli.conftest import PIPELINE, SENIOR_1, SENIOR_2, Live
from tests.support.served import clean_environment, finish, run_cli, start_cli


async def test_approved_exits_0_and_prints_the_state(live: Live) -> None:
    cid = await live.propose()
    await live.review(SENIOR_1, cid)
    await live.review(SENIOR_2, cid)

    ran = await run_cli("wait", cid, env=live.env())

    assert (ran.code, ran.out) == (0, "approved\n")
    assert ran.err.startswith(f"{cid} approved after ")


async def test_rejected_exits_2_with_the_reviewers_reason(live: Live) -> None:
    cid = await live.propose()
    await live.review(SENIOR_1, cid, approved=False, comment="rollback misses edge-2")

    ran = await run_cli("wait", cid, "--json", env=live.env())

    assert ran.code == 2
    assert f"{cid} rejected after" in ran.err
    assert f"by {SENIOR_1}: rollback misses edge-2" in ran.err
    body = json.loads(ran.out)
    assert (body["reached"], body["until"], body["change"]["state"]) == (True, "decided",
                                                                         "rejected")


async def test_a_failed_apply_exits_2_and_a_withdrawn_request_3(live: Live) -> None:
    failed = await live.propose()
    await live.review(SENIOR_1, failed)
    await live.review(SENIOR_2, failed)
    assert (await run_cli("apply", failed, env=live.env())).code == 0
    assert (await run_cli("result", failed, "--status", "failed", env=live.env())).out == \
        "failed\n"
    cancelled = await live.propose()
    status, _ = await live.call(PIPELINE, "POST", f"/changes/{cancelled}/withdraw")
    assert status == 200

    ran_failed, ran_cancelled = await asyncio.gather(
        run_cli("wait", failed, "--until", "terminal", env=live.env()),
        run_cli("wait", cancelled, env=live.env()))

    assert (ran_failed.code, ran_failed.out) == (2, "failed\n")
    assert (ran_cancelled.code, ran_cancelled.out) == (3, "cancelled\n")


async def test_timing_out_exits_4_with_the_current_state_and_no_spinner_in_a_pipe(
    live: Live
) -> None:
    cid = await live.propose()
    approved = await live.propose()
    await live.review(SENIOR_1, approved)
    await live.review(SENIOR_2, approved)

    ran, not_terminal = await asyncio.gather(
        run_cli("wait", cid, "--timeout", "1", env=live.env()),
        run_cli("wait", approved, "--until", "terminal", "--timeout", "0", env=live.env()))

    assert (ran.code, ran.out) == (4, "pending_review\n")
    assert re.fullmatch(f"{cid} is still pending_review after [1-9][0-9]*s: stopped waiting "
                        r"\(--timeout\)\n", ran.err)
    assert (not_terminal.code, not_terminal.out) == (4, "approved\n")


async def test_a_spinner_with_the_elapsed_time_on_a_terminal(live: Live) -> None:
    cid = await live.propose()
    controller, terminal = pty.openpty()
    try:
        process = await start_cli("wait", cid, "--timeout", "1", env=live.env(),
                                  stderr=terminal)
        os.close(terminal)
        terminal = -1
        ran = await finish(process)
        shown = await asyncio.to_thread(_drain, controller)
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)

    assert ran.code == 4
    assert re.search(f"\r\x1b\\[K\\| waiting for {cid} to be decided \\([0-9]+s\\)", shown)
    assert "pending_review, workflow high, stage 1 of 1" in shown
    assert re.search(f"\r\x1b\\[K{cid} is still pending_review after [1-9][0-9]*s: stopped "
                     r"waiting \(--timeout\)\r\n$", shown)


def _drain(fd: int) -> str:
    """Everything written to a terminal whose other end has closed."""
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the writer is gone and the buffer is read
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()


SETTINGS = [
    ({}, "changegate: CHANGEGATE_URL is not set"),
    ({"CHANGEGATE_URL": "http://127.0.0.1:9"}, "changegate: CHANGEGATE_TOKEN is not set"),
    ({"CHANGEGATE_URL": "changegate.example.net", "CHANGEGATE_TOKEN": "t"},
     "changegate: CHANGEGATE_URL must start with http:// or https://"),
]
USAGE = [
    (("wait", "42"), "'42' is not a change id such as CHG-42"),
    (("wait", "CHG-1", "--until", "applied"), "invalid choice: 'applied'"),
    (("wait", "CHG-1", "--timeout", "-1"), "is not a number of seconds"),
    (("wait", "CHG-1", "--later"), "unrecognized arguments: --later"),
    (("result", "CHG-1"), "the following arguments are required: --status"),
]


async def test_a_missing_setting_exits_1_naming_the_variable() -> None:
    runs = await asyncio.gather(*(run_cli("wait", "CHG-1", env=clean_environment(**env))
                                  for env, _ in SETTINGS))

    for ran, (_, message) in zip(runs, SETTINGS, strict=True):
        assert (ran.code, ran.out) == (1, "")
        assert ran.err.startswith(message), ran.err


async def test_a_usage_error_exits_1_not_2_which_means_rejected() -> None:
    ran = await run_cli("wait", "CHG-1", "--until", "soon", env=clean_environment())

    assert (ran.code, ran.out) == (1, "")
    assert "usage: changegate wait" in ran.err


@pytest.mark.parametrize(("args", "message"), USAGE)
def test_usage_errors_of_the_pipeline_commands(
    args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(list(args))

    assert exited.value.code == 1
    assert message in capsys.readouterr().err


async def test_api_and_connection_errors_exit_1_with_the_detail(live: Live) -> None:
    missing, bogus, refused = await asyncio.gather(
        run_cli("wait", "CHG-99999", env=live.env()),
        run_cli("wait", "CHG-1", env=live.served.client_env("cg_000000000000_nope")),
        run_cli("wait", "CHG-1", env=clean_environment(CHANGEGATE_URL="http://127.0.0.1:9",
                                                       CHANGEGATE_TOKEN="t")))

    assert missing.code == 1
    assert "CHG-99999" in missing.err and "(HTTP 404, not_found)" in missing.err
    assert bogus.code == 1 and "(HTTP 401, invalid_token)" in bogus.err
    assert refused.code == 1
    assert refused.err.startswith("changegate: cannot reach ChangeGate at http://127.0.0.1:9/")
