"""What a signed request must look like before Bolt sees it: the one place a payload's shape is
checked. Bolt's own middleware indexes the payload without checking it, and the listeners act on
what they read, so a malformed one, even signed, is refused here (MalformedPayload) rather than
answered with a 500 or acted on as nobody."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.slack.inbound.payload import (
    MalformedPayload,
    action,
    actor,
    ident,
    metadata,
    obj,
    optional,
    required,
    text,
    title,
    values,
)

OBJECTS = ("team", "user", "channel", "container", "message", "view", "enterprise")
ID_HOLDERS = ("user", "channel", "team", "enterprise")  # a text id, or an object with an id
NESTED = ("event", "message", "previous_message", "item", "assistant_thread")  # read into, deeper
OBJECT_ONLY = ("view", "container", "function_data")
SLASH_FIELDS = ("command", "text", "user_id", "team_id", "channel_id", "trigger_id",
                "response_url")
PERSON_EVENTS = frozenset({"app_home_opened"})  # events the app acts on for their `user`
MAX_DEPTH = 3


def check(body: Any) -> None:
    """A slash command, an interaction or an event of a kind the app serves, in Slack's shape,
    with every member the listeners read of the type they read it as."""
    if not isinstance(body, dict):
        raise MalformedPayload("the body", "an object")
    if body.get("ssl_check"):
        return
    if "command" in body:
        _slash(body)
        return
    kind = body.get("type")
    shape = SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        raise MalformedPayload("type", "a kind of payload the app serves")
    _containers(body)
    shape(body)


def _containers(body: Mapping[str, Any], at: str = "", depth: int = 0) -> None:
    """Bolt reads ids from these members wherever they appear (at the top, in the event, in an
    edited message...) without checking their type: a text id or an object where it expects one,
    objects where it reads into them, a list of objects for `authorizations`."""
    for key in ID_HOLDERS:
        if not isinstance(body.get(key), str | dict | None):
            raise MalformedPayload(f"{at}{key}", "a text id or an object")
    for key in (*NESTED, *OBJECT_ONLY):
        if key in body:
            obj(body, key, at)
    authorizations = body.get("authorizations", [])
    if not (isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)):
        raise MalformedPayload(f"{at}authorizations", "a list of objects")
    if depth < MAX_DEPTH:
        for key in NESTED:
            if key in body:
                _containers(body[key], f"{at}{key}.", depth + 1)


def _objects(body: Mapping[str, Any]) -> None:
    """The objects Bolt reads ids from are objects when present, with text ids."""
    for name in OBJECTS:
        if body.get(name) is not None:
            text(obj(body, name), "id", f"{name}.")


def _slash(body: Mapping[str, Any]) -> None:
    for key in SLASH_FIELDS:
        text(body, key)
    actor(body)


def _actions(body: Mapping[str, Any]) -> None:
    _objects(body)
    actor(body)
    action(body)


def _view(body: Mapping[str, Any]) -> None:
    _objects(body)
    view = obj(body, "view")
    ident(view, "id", "view.")  # the listeners update the view by it
    required(view, "type", str, "view.")
    text(view, "callback_id", "view.")
    optional(view, "state", dict, "view.")
    actor(body)


def _submission(body: Mapping[str, Any]) -> None:
    _view(body)
    view = body["view"]
    values(view)
    metadata(view)
    title(view)


def _event(body: Mapping[str, Any]) -> None:
    text(body, "team_id")
    event = obj(body, "event")
    text(event, "user", "event.")
    if required(event, "type", str, "event.") in PERSON_EVENTS:
        actor(body)


SHAPES: Mapping[str, Callable[[Mapping[str, Any]], None]] = {
    "url_verification": lambda body: required(body, "challenge", str),
    "block_actions": _actions,
    "view_submission": _submission,
    "view_closed": _view,
    "event_callback": _event,
}
