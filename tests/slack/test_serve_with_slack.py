"""`changegate serve` with Slack settings answers signed requests at /slack/events, as a process."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from bot.fakeslack import FakeSlack, SlackDriver
from tests.slack.harness import POLICY, REQUESTER, SECRET, workspace

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0


async def test_serve_process_handles_a_slash_command(tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    async with FakeSlack(workspace()) as fake:
        env = {**os.environ, "CHANGEGATE_PORT": "0", "SLACK_BOT_TOKEN": fake.workspace.bot_token,
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--policy", str(policy), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            assert process.stdout is not None
            line = (await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)).decode()
            found = re.match(r"ChangeGate listening on (http://\S+) ", line)
            assert found, line
            async with SlackDriver(fake, f"{found.group(1)}/slack/events", SECRET) as driver:
                reply = await driver.slash(REQUESTER, "new")
                assert reply.status == 200
                await fake.wait_for(lambda: fake.calls_to("views.open"), 10.0)
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)
            assert process.returncode == 0, err.decode()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
