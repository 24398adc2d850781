"""`make run` twice: the second sandbox on the same sandbox.db does not start silently; it exits 1
naming the file, the process serving it and what to do (as processes, for real)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.sandbox.support import copy_examples
from tests.sandbox.test_serve_sandbox_process import sandbox_process
from tests.support.served import PROCESS_TIMEOUT_S, clean_environment, finish, start_cli


async def test_a_second_sandbox_on_the_same_database_refuses_and_says_why(
        tmp_path: Path) -> None:
    policy = copy_examples(tmp_path)
    env = clean_environment(CHANGEGATE_PORT="0")
    async with sandbox_process(policy, env, ["--sandbox"]) as (first, _):
        second = await finish(await start_cli("serve", "--sandbox", "--policy", str(policy),
                                              env=env))
        first.send_signal(signal.SIGTERM)
        await asyncio.wait_for(first.communicate(), PROCESS_TIMEOUT_S)

    database = tmp_path / "sandbox.db"
    assert (second.code, second.out) == (1, "")
    assert second.err.startswith(
        f"changegate: database {database} is already served by process {first.pid} "
        f"(it holds {database}.serve-lock)")
    assert "a sandbox probably runs already: use its page" in second.err
    assert "CHANGEGATE_DATABASE_URL" in second.err and second.err.count("\n") == 1
