"""The Slack app manifest is valid against Slack's schema and asks for exactly what the bot uses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack.manifest import BOT_EVENTS, BOT_SCOPES, METHOD_SCOPES

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).resolve().parents[2] / "shared/slack/manifest.schema.1.0.0.json"
SLACK_CODE = [*sorted((ROOT / "bot/slack").rglob("*.py")), ROOT / "bot/composition.py"]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "app.yaml").read_text(encoding="utf-8"))
    return loaded


def test_manifest_matches_slack_schema(manifest: dict[str, Any]) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)
    ]
    assert errors == []


def test_manifest_asks_for_the_scopes_and_events_the_code_uses(manifest: dict[str, Any]) -> None:
    # The schema accepts any string as a scope or event name, so compare with the code's list.
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)


def test_every_web_api_call_in_the_code_has_its_scope_listed() -> None:
    called = {
        name.replace("_", ".")
        for path in SLACK_CODE
        for name in re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", path.read_text(encoding="utf-8"))
    }

    assert called == set(METHOD_SCOPES), "update bot/slack/manifest.py and app.yaml together"


def test_every_event_listener_is_subscribed() -> None:
    source = (ROOT / "bot/slack/inbound/events_api.py").read_text(encoding="utf-8")
    listened = set(re.findall(r'@app\.event\("([a-z_]+)"\)', source))

    assert listened == set(BOT_EVENTS)


def test_manifest_routes_everything_to_the_bolt_endpoint(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/change"
    assert command["usage_hint"]
    assert settings["socket_mode_enabled"] is False
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    urls = {
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert urls == {"https://changegate.example.com/slack/events"}
