"""When `serve` runs the sandbox, and what the bot is configured with inside it."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from bot.sandbox.serve import listen, sandbox_environ, sandbox_settings
from bot.server import ServerError
from bot.settings import Settings

TOKEN = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1",
         "SLACK_API_URL": "https://slack.example/api/", "SLACK_CHANNEL": "C0REAL"}


def test_the_sandbox_runs_without_a_bot_token_or_when_asked() -> None:
    assert Settings.load({}).serves_sandbox
    assert not Settings.load(TOKEN).serves_sandbox
    assert Settings.load(TOKEN, sandbox=True).serves_sandbox


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
