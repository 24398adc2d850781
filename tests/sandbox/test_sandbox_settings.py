"""When `serve` runs the sandbox, and what the bot is configured with inside it."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from bot.sandbox.serve import listen, sandbox_environ, sandbox_settings
from bot.serve_mode import serve_settings
from bot.server import ServerError
from bot.settings import Settings, SettingsError

TOKEN = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1",
         "SLACK_API_URL": "https://slack.example/api/", "SLACK_CHANNEL": "C0REAL"}
DATABASE = {"CHANGEGATE_DATABASE_URL": "sqlite+aiosqlite:////srv/changegate/changegate.db"}


def test_the_sandbox_runs_when_asked_or_without_any_slack_or_database_setting() -> None:
    assert serve_settings(Settings.load({})).sandbox
    assert not serve_settings(Settings.load(TOKEN)).sandbox
    assert serve_settings(Settings.load(TOKEN, sandbox=True)).sandbox
    assert serve_settings(Settings.load(DATABASE, sandbox=True)).sandbox


def test_the_sandbox_keeps_its_own_database_and_listens_on_loopback(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    settings = Settings.load({"CHANGEGATE_HOST": "0.0.0.0"}, policy=str(policy))

    served = serve_settings(settings)

    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'changegate.db'}"
    assert served.database_url == f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    assert served.host == "127.0.0.1"
    asked = Settings.load({"CHANGEGATE_SANDBOX_HOST": "0.0.0.0", **DATABASE}, sandbox=True)
    assert (serve_settings(asked).host, serve_settings(asked).database_url) == (
        "0.0.0.0", DATABASE["CHANGEGATE_DATABASE_URL"])


def test_without_slack_another_database_needs_the_sandbox_flag() -> None:
    with pytest.raises(SettingsError, match="pass --sandbox"):
        serve_settings(Settings.load(DATABASE))


@pytest.mark.parametrize(("given", "missing"), [
    ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is missing, but SLACK_SIGNING_SECRET is"),
    ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN is missing, but SLACK_APP_TOKEN is"),
    ({"SLACK_CHANNEL": "C0REAL", "SLACK_TEAM_ID": "T0REAL"},
     "SLACK_BOT_TOKEN is missing, but SLACK_TEAM_ID and SLACK_CHANNEL are"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET .HTTP mode. or SLACK_APP_TOKEN"),
])
def test_a_partial_slack_configuration_names_what_is_missing(given: dict[str, str],
                                                             missing: str) -> None:
    with pytest.raises(SettingsError, match=missing):
        serve_settings(Settings.load(given))


def test_inside_the_sandbox_the_bot_talks_to_the_workspace_only() -> None:
    outside = Settings.load({**TOKEN, "CHANGEGATE_PORT": "9000"}, sandbox=True)

    inside = sandbox_settings(outside, api_url="http://127.0.0.1:9000/sandbox/api/",
                              bot_token="xoxb-fake-token", team_id="T0CHANGEGATE",
                              signing_secret="made-now", channel="C0CHANGES")

    assert (inside.slack_api_url, inside.slack_bot_token, inside.slack_signing_secret,
            inside.slack_app_token, inside.slack_team_id, inside.slack_channel) == (
        "http://127.0.0.1:9000/sandbox/api/", "xoxb-fake-token", "made-now", None,
        "T0CHANGEGATE", "C0CHANGES")
    assert (inside.port, inside.database_url) == (9000, outside.database_url)


def test_executors_find_this_python_first() -> None:
    environ = sandbox_environ({"PATH": "/usr/bin", "HOME": "/root"})

    assert environ["PATH"] == f"{Path(sys.executable).parent}{os.pathsep}/usr/bin"
    assert environ["HOME"] == "/root"


def test_a_port_in_use_is_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError, match=f"cannot listen on 127.0.0.1:{port}: "):
            listen("127.0.0.1", port)
