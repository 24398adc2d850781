"""`changegate serve` as a process serves the sandbox without Slack credentials, or when asked."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.sandbox.support import CHANNEL, REQUESTER, ROOT, copy_examples

STARTUP_TIMEOUT = 30.0
LINE = re.compile(r"ChangeGate listening on (http://127\.0\.0\.1:\d+) \(policy [0-9a-f]{12}, "
                  r"database sqlite\+aiosqlite:///\S+\); sandbox workspace: open (\S+)\n$")
SLACK = {"SLACK_BOT_TOKEN": "xoxb-real-looking", "SLACK_SIGNING_SECRET": "s3cret",
         "SLACK_API_URL": "http://127.0.0.1:9/api/"}


@pytest.mark.parametrize(("extra_env", "flags"), [({}, []), (SLACK, ["--sandbox"])],
                         ids=["no-credentials", "sandbox-flag"])
async def test_serve_runs_the_sandbox(tmp_path: Path, extra_env: dict[str, str],
                                      flags: list[str]) -> None:
    policy = copy_examples(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHANGEGATE_", "SLACK_"))}
    env.update(CHANGEGATE_HOST="127.0.0.1", CHANGEGATE_PORT="0", **extra_env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--policy", str(policy), *flags, cwd=ROOT,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)).decode()
        found = LINE.match(line)
        assert found, line
        base, page = found.groups()
        assert page == f"{base}/sandbox"
        async with aiohttp.ClientSession() as session:
            async with session.get(page) as response:
                assert response.status == 200
            async with session.post(f"{page}/act", json={
                    "as": REQUESTER, "kind": "slash", "channel": CHANNEL, "text": "new"}) as r:
                assert await r.json() == {"ok": True}  # the bot answered its signed request
            async with session.get(f"{page}/state", params={"as": REQUESTER}) as response:
                assert (await response.json())["modal"]["title"] == "Propose a change"
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)
        assert process.returncode == 0, err.decode()
        assert out.decode() == "ChangeGate stopping on SIGTERM\n"
        if not extra_env:
            assert err == b""
        else:  # Bolt itself notes that it uses its client rather than SLACK_BOT_TOKEN
            assert "Traceback" not in err.decode() and "Slack refused" not in err.decode()
        assert (tmp_path / "changegate.db").is_file()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
