"""The composition root: Slack settings, start-up checks against Slack, and the mounted route."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import test_utils

from bot.composition import StartupError, open_runtime
from bot.sandbox.fakeslack import FakeSlack
from bot.server import create_app
from bot.settings import Settings, SettingsError
from tests.slack.harness import POLICY, SECRET, workspace


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "changegate.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def env(fake: FakeSlack, policy: Path, **extra: str) -> dict[str, str]:
    return {"CHANGEGATE_POLICY": str(policy), "SLACK_API_URL": fake.api_url,
            "SLACK_BOT_TOKEN": fake.workspace.bot_token, "SLACK_SIGNING_SECRET": SECRET, **extra}


def test_slack_ids_are_checked() -> None:
    settings = Settings.load({"SLACK_TEAM_ID": "T0ABC", "SLACK_CHANNEL": "C0XYZ"})

    assert (settings.slack_team_id, settings.slack_channel) == ("T0ABC", "C0XYZ")
    with pytest.raises(SettingsError, match="SLACK_CHANNEL must be a channel id"):
        Settings.load({"SLACK_CHANNEL": "#changes"})
    with pytest.raises(SettingsError, match="SLACK_TEAM_ID must be a workspace id"):
        Settings.load({"SLACK_TEAM_ID": "acme"})


async def test_without_a_bot_token_there_is_no_slack_route(policy: Path) -> None:
    runtime = await open_runtime(Settings.load({"CHANGEGATE_POLICY": str(policy)}))
    try:
        async with test_utils.TestClient(test_utils.TestServer(create_app("v", runtime))) as client:
            assert (await client.post("/slack/events")).status == 404
            assert (await client.get("/healthz")).status == 200
    finally:
        await runtime.close()


async def test_slack_route_is_mounted_and_verifies_signatures(policy: Path) -> None:
    async with FakeSlack(workspace()) as fake:
        runtime = await open_runtime(Settings.load(env(fake, policy)))
        try:
            server = test_utils.TestServer(create_app("v", runtime))
            async with test_utils.TestClient(server) as client:
                assert (await client.post("/slack/events", data="x")).status == 401
        finally:
            await runtime.close()


@pytest.mark.parametrize(("extra", "problem"), [
    ({"SLACK_BOT_TOKEN": "xoxb-wrong"}, "Slack refused SLACK_BOT_TOKEN: invalid_auth"),
    ({"SLACK_TEAM_ID": "T0ELSEWHERE"}, "belongs to workspace T0CHANGEGATE"),
    ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET .HTTP mode. or SLACK_APP_TOKEN"),
])
async def test_start_up_refuses_a_wrong_slack_setup(
    policy: Path, extra: dict[str, str], problem: str
) -> None:
    async with FakeSlack(workspace()) as fake:
        with pytest.raises(StartupError, match=problem):
            await open_runtime(Settings.load(env(fake, policy, **extra)))


async def test_an_unreachable_slack_is_a_start_up_error(policy: Path) -> None:
    async with FakeSlack(workspace()) as fake:
        settings = Settings.load(env(fake, policy))
    with pytest.raises(StartupError, match="cannot reach Slack"):
        await open_runtime(settings)
