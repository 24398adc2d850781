"""Typed reads of a signed Slack payload, so a listener never indexes raw JSON: a member missing
or of the wrong type is one MalformedPayload, answered with 400 and a one-line log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.slack.rendering.ids import VALUE
from workflow.actors import is_person

Json = Mapping[str, Any]
Values = Mapping[str, Mapping[str, Json]]
KINDS: Mapping[type, str] = {str: "text", dict: "an object", int: "a whole number"}
# What the forms' elements report in view.state.values, as the listeners read them.
ELEMENT_FIELDS: Mapping[str, type] = {"value": str, "selected_option": dict,
                                      "selected_date_time": int}


class MalformedPayload(ValueError):
    """A signed payload that is not in Slack's shape; the message names the member."""

    def __init__(self, where: str, expected: str) -> None:
        shown = json.dumps(where)[1:-1][:200]  # member names come from the sender: one line
        super().__init__(f"{shown} is not {expected}")


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)


def required(container: Json, key: str, kind: type, at: str = "") -> Any:
    """A member that must be present and of `kind`."""
    found = container.get(key)
    if not _is(found, kind):
        raise MalformedPayload(f"{at}{key}", KINDS[kind])
    return found


def obj(container: Json, key: str, at: str = "") -> Json:
    """A member that must be an object."""
    found: Json = required(container, key, dict, at)
    return found


def optional(container: Json, key: str, kind: type, at: str = "") -> Any:
    """A member that is absent, null, or of `kind`."""
    found = container.get(key)
    if found is not None and not _is(found, kind):
        raise MalformedPayload(f"{at}{key}", KINDS[kind])
    return found


def text(container: Json, key: str, at: str = "") -> str:
    """A text member; absent or null reads as empty."""
    return optional(container, key, str, at) or ""


def ident(container: Json, key: str, at: str = "") -> str:
    """A text member that names something (an action, a view): never empty."""
    found = text(container, key, at)
    if not found:
        raise MalformedPayload(f"{at}{key}", "an id")
    return found


def actor(body: Json) -> str:
    """Who acts: the Slack user id Slack signed into the payload, never `system` or empty."""
    if "command" in body:
        where, found = "user_id", body.get("user_id")
    elif body.get("type") == "event_callback":
        where, found = "event.user", obj(body, "event").get("user")
    else:
        where, found = "user.id", obj(body, "user").get("id")
    if not is_person(found):
        raise MalformedPayload(where, "a Slack user id")
    return found


def action(body: Json) -> Json:
    """The clicked element: an action id and, if it carries one, a text value."""
    actions = body.get("actions")
    if not (isinstance(actions, list) and actions):
        raise MalformedPayload("actions", "a list of clicked elements")
    clicked: Json = required({"actions[0]": actions[0]}, "actions[0]", dict)
    ident(clicked, "action_id", "actions[0].")
    text(clicked, "value", "actions[0].")
    return clicked


def values(view: Json) -> Values:
    """A submitted view's state: blocks of elements, each field of the type the forms report."""
    state = optional(view, "state", dict, "view.") or {}
    found: Values = optional(state, "values", dict, "view.state.") or {}
    for block_id in found:
        block = obj(found, block_id, "view.state.values.")
        for element_id in block:
            element = obj(block, element_id, f"view.state.values.{block_id}.")
            at = f"view.state.values.{block_id}.{element_id}."
            for field, kind in ELEMENT_FIELDS.items():
                optional(element, field, kind, at)
            text(element.get("selected_option") or {}, "value", f"{at}selected_option.")
    return found


def _element(view: Json, block: str) -> Json:
    return values(view).get(block, {}).get(VALUE, {})


def typed(view: Json, block: str) -> str:
    """What was typed into a text input, trimmed."""
    return text(_element(view, block), "value").strip()


def chosen(view: Json, block: str) -> str:
    """The value of the option chosen in a select."""
    return text(_element(view, block).get("selected_option") or {}, "value")


def moment(view: Json, block: str) -> int | None:
    """The Unix time picked in a datetimepicker, if any."""
    picked: int | None = _element(view, block).get("selected_date_time")
    return picked


def metadata(view: Json) -> Json:
    """The JSON object the app put into private_metadata (its signature checked and taken off
    by forged_forms before any listener reads it); absent or empty reads as {}."""
    raw = text(view, "private_metadata", "view.")
    try:
        loaded = json.loads(raw) if raw else {}
    except ValueError:
        loaded = None
    if not isinstance(loaded, dict):
        raise MalformedPayload("view.private_metadata", "the JSON object the app wrote")
    return loaded


def title(view: Json) -> str:
    """A view's title text; absent reads as empty."""
    return text(optional(view, "title", dict, "view.") or {}, "text", "view.title.")
