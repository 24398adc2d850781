"""What a signed request must look like before Bolt sees it. Bolt's own middleware indexes the
payload without checking it, so a malformed one, even signed, would be answered with a 500."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

OBJECTS = ("team", "user", "channel", "container", "message", "view", "enterprise")
ID_HOLDERS = ("user", "channel", "team", "enterprise")  # a text id, or an object with an id
NESTED = ("event", "message", "previous_message", "item", "assistant_thread")  # read into, deeper
OBJECT_ONLY = ("view", "container", "function_data")
MAX_DEPTH = 3


def well_formed(body: Any) -> bool:
    """A slash command, an interaction or an event of a kind the app serves, in Slack's shape."""
    if not isinstance(body, dict):
        return False
    if body.get("ssl_check"):
        return True
    if "command" in body:
        return _slash(body)
    kind = body.get("type")
    check = SHAPES.get(kind) if isinstance(kind, str) else None
    return check is not None and _containers(body) and check(body)


def _containers(body: Mapping[str, Any], depth: int = 0) -> bool:
    """Bolt reads ids from these members wherever they appear (at the top, in the event, in an
    edited message...) without checking their type: a text id or an object where it expects one,
    objects where it reads into them, a list of objects for `authorizations`."""
    if any(not isinstance(body.get(k), str | dict | None) for k in ID_HOLDERS):
        return False
    if any(k in body and not isinstance(body[k], dict) for k in (*NESTED, *OBJECT_ONLY)):
        return False
    authorizations = body.get("authorizations", [])
    if not (isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)):
        return False
    return depth >= MAX_DEPTH or all(_containers(body[k], depth + 1) for k in NESTED if k in body)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _objects(body: Mapping[str, Any]) -> bool:
    """The objects Bolt reads ids from are objects when present, with text ids."""
    for name in OBJECTS:
        found = body.get(name)
        if found is None:
            continue
        if not isinstance(found, dict) or not _text(found.get("id", "")):
            return False
    return True


def _slash(body: Mapping[str, Any]) -> bool:
    return all(_text(body.get(k, "")) for k in ("command", "text", "user_id", "team_id",
                                                 "channel_id", "trigger_id", "response_url"))


def _actions(body: Mapping[str, Any]) -> bool:
    actions = body.get("actions")
    return (_objects(body) and isinstance(body.get("user"), dict)
            and isinstance(actions, list) and bool(actions)
            and all(isinstance(a, dict) and _text(a.get("action_id")) for a in actions))


def _view(body: Mapping[str, Any]) -> bool:
    view = body.get("view")
    return (_objects(body) and isinstance(body.get("user"), dict) and isinstance(view, dict)
            and all(_text(view.get(k)) for k in ("id", "type"))
            and _text(view.get("callback_id", "")) and isinstance(view.get("state", {}), dict))


def _event(body: Mapping[str, Any]) -> bool:
    event = body.get("event")
    return (_text(body.get("team_id", "")) and isinstance(event, dict)
            and _text(event.get("type")) and _text(event.get("user", "")))


SHAPES: Mapping[str, Callable[[Mapping[str, Any]], bool]] = {
    "url_verification": lambda body: _text(body.get("challenge")),
    "block_actions": _actions,
    "view_submission": _view,
    "view_closed": _view,
    "event_callback": _event,
}
