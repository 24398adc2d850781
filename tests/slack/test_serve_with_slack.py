"""`changegate serve` with Slack settings answers signed requests at /slack/events, as a process."""

from __future__ import annotations

import os
from pathlib import Path

from bench.processes import start
from bot.sandbox.fakeslack import FakeSlack, SlackDriver
from tests.slack.harness import POLICY, REQUESTER, SECRET, workspace

STARTUP_TIMEOUT = 30.0


async def test_serve_process_handles_a_slash_command(tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    async with FakeSlack(workspace()) as fake:
        env = {**os.environ, "CHANGEGATE_PORT": "0", "SLACK_BOT_TOKEN": fake.workspace.bot_token,
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}
        log = tmp_path / "serve.log"
        server = await start(["-m", "bot.cli", "serve", "--policy", str(policy)], env, log,
                             STARTUP_TIMEOUT)
        try:
            async with SlackDriver(fake, f"{server.url}/slack/events", SECRET) as driver:
                reply = await driver.slash(REQUESTER, "new")
                assert reply.status == 200
                await fake.wait_for(lambda: fake.calls_to("views.open"), 10.0)
            assert await server.stop() == 0, log.read_text()
        finally:
            await server.kill()
