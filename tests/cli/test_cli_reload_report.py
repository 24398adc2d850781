"""A reload by SIGHUP names, in the log, each change in flight that keeps a group the new file
renamed: the change goes on by its own definition (scenario 38, as an operator sees it)."""

from __future__ import annotations

import asyncio
import os
import signal

from tests.cli.conftest import SENIOR_1, Live
from tests.support.served import run_cli

WAIT_S = 30.0
POLL_S = 0.05


async def logged(live: Live, wanted: str) -> str:
    """The serve log's line containing `wanted`, waiting (bounded) for the process to write it."""
    for _ in range(int(WAIT_S / POLL_S)):
        lines = live.served.log.read_text(encoding="utf-8").splitlines()
        found = [line for line in lines if wanted in line]
        if found:
            return found[-1]
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"never logged {wanted!r}:\n" + "\n".join(lines[-20:]))


async def test_a_sighup_reload_logs_the_changes_that_keep_a_renamed_group(live: Live) -> None:
    change = await live.propose()
    policy = live.served.policy
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "senior-network-engineers", "seniors"), encoding="utf-8")

    os.kill(live.served.pid, signal.SIGHUP)

    line = await logged(live, f"{change} keeps group senior-network-engineers")
    assert "which this policy no longer defines" in line
    assert (await live.review(SENIOR_1, change))["state"] == "pending_review"  # still counts


async def test_check_in_flight_names_them_before_the_file_is_installed(live: Live) -> None:
    change = await live.propose()
    candidate = live.served.policy.with_name("candidate.yaml")
    candidate.write_text(live.served.policy.read_text(encoding="utf-8").replace(
        "senior", "elder"), encoding="utf-8")  # renames the seniors' group, whatever its name
    env = {**live.served.env, "CHANGEGATE_DATABASE_URL": f"sqlite+aiosqlite:///"
                                                        f"{live.served.database}"}

    ran = await run_cli("check", "--policy", str(candidate), "--in-flight", env=env)

    assert ran.code == 0, ran.err
    assert f"warning: {change} keeps group senior" in ran.err
    assert "which this policy no longer defines" in ran.err
