"""The card a review form was opened from: read off the click, carried in the form's metadata
and read back when the form is submitted, to show the decision on that card at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.slack.rendering.modals import Clicked


def _text(container: Any, key: str) -> str:
    found = container.get(key) if isinstance(container, dict) else None
    return found if isinstance(found, str) else ""


def _clicked(channel: str, ts: str, response_url: str) -> Clicked | None:
    return Clicked(channel, ts, response_url) if channel and ts and response_url else None


def from_click(body: dict[str, Any]) -> Clicked | None:
    """The message a button was clicked on and the click's response_url; None for a button in
    a view (App Home, a modal), which has no message to replace."""
    container = body.get("container")
    if _text(container, "type") != "message":
        return None
    channel = _text(container, "channel_id") or _text(body.get("channel"), "id")
    return _clicked(channel, _text(container, "message_ts"), _text(body, "response_url"))


def from_form(meta: Mapping[str, Any]) -> Clicked | None:
    """The card a submitted form names in its private_metadata, when it names one whole."""
    card = meta.get("card")
    return _clicked(_text(card, "channel"), _text(card, "ts"), _text(card, "response_url"))
