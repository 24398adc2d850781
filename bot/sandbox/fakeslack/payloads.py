"""Request bodies Slack sends to an app: slash commands, block actions, view submissions, events."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.fakeslack.state import Message, ViewRecord
from bot.sandbox.fakeslack.workspace import Workspace

Payload = dict[str, Any]


def text_value(value: str) -> dict[str, Any]:
    """What a plain_text_input reports in view.state.values."""
    return {"value": {"type": "plain_text_input", "value": value}}


def choice_value(value: str) -> dict[str, Any]:
    """What a static_select reports."""
    return {"value": {"type": "static_select",
                      "selected_option": {"value": value, "text": {"type": "plain_text",
                                                                    "text": value}}}}


def datetime_value(timestamp: int | None) -> dict[str, Any]:
    """What a datetimepicker reports."""
    return {"value": {"type": "datetimepicker", "selected_date_time": timestamp}}


def _team(w: Workspace, team_id: str | None) -> dict[str, str]:
    return {"id": team_id or w.team_id, "domain": w.domain}


def slash_command(w: Workspace, *, user: str, channel: str, command: str, text: str,
                  trigger_id: str, response_url: str, team_id: str | None = None
                  ) -> dict[str, str]:
    """The form fields of a slash command."""
    return {
        "token": "legacy-verification-token", "team_id": team_id or w.team_id,
        "team_domain": w.domain, "channel_id": channel, "channel_name": channel.lower(),
        "user_id": user, "user_name": user.lower(), "command": command, "text": text,
        "api_app_id": w.app_id, "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id,
    }


def block_actions(w: Workspace, *, user: str, action: dict[str, Any], trigger_id: str,
                  response_url: str | None = None, message: Message | None = None,
                  view: ViewRecord | None = None, team_id: str | None = None) -> Payload:
    """A click on a button in a message or in a view."""
    payload: Payload = {
        "type": "block_actions", "team": _team(w, team_id),
        "user": {"id": user, "username": user.lower(), "team_id": team_id or w.team_id},
        "api_app_id": w.app_id, "token": "legacy-verification-token", "trigger_id": trigger_id,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        "is_enterprise_install": False,
    }
    if message is not None:
        payload["container"] = {"type": "message", "message_ts": message.ts,
                                "channel_id": message.channel, "is_ephemeral": False}
        payload["channel"] = {"id": message.channel, "name": message.channel.lower()}
        payload["message"] = message.as_json()
        payload["response_url"] = response_url
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.id}
        payload["view"] = view.as_json(team_id or w.team_id, w.app_id, w.bot_id)
    return payload


def view_submission(w: Workspace, *, user: str, view: ViewRecord,
                    values: dict[str, dict[str, Any]], trigger_id: str,
                    team_id: str | None = None) -> Payload:
    """A modal's submit button: the view as stored, with the typed values in its state."""
    submitted = view.as_json(team_id or w.team_id, w.app_id, w.bot_id)
    submitted["state"] = {"values": values}
    return {
        "type": "view_submission", "team": _team(w, team_id),
        "user": {"id": user, "username": user.lower(), "team_id": team_id or w.team_id},
        "api_app_id": w.app_id, "token": "legacy-verification-token", "trigger_id": trigger_id,
        "view": submitted, "response_urls": [], "is_enterprise_install": False,
    }


def event_callback(w: Workspace, event: dict[str, Any], *, event_id: str,
                   team_id: str | None = None) -> Payload:
    """An Events API delivery."""
    team = team_id or w.team_id
    return {
        "token": "legacy-verification-token", "team_id": team, "api_app_id": w.app_id,
        "event": event, "type": "event_callback", "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": w.bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }
