"""Block Kit builders returning plain dicts, so rendering stays testable and JSON-ready."""

from __future__ import annotations

from typing import Any

from bot.slack.rendering.mrkdwn import clip, marked

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
CONTEXT_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
VIEW_TITLE_MAX = 24


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A plain_text object with emoji shortcodes rendered and bidi controls marked."""
    return {"type": "plain_text", "text": clip(marked(text), limit) or " ", "emoji": True}


def markdown(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A mrkdwn text object clipped to the limit of the element that holds it, bidi controls
    marked even where the text was not escaped."""
    return {"type": "mrkdwn", "text": clip(marked(text), limit) or " "}


def header(text: str) -> Block:
    """A large bold title line."""
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    """A paragraph of mrkdwn, optionally with one element on its right."""
    block: Block = {"type": "section", "text": markdown(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(*pairs: tuple[str, str]) -> Block:
    """Up to ten label/value pairs laid out in two columns."""
    return {
        "type": "section",
        "fields": [markdown(f"*{label}*\n{value}", FIELD_TEXT_MAX) for label, value in pairs[:10]],
    }


def context(*texts: str) -> Block:
    """Small grey print under the main content."""
    return {"type": "context", "elements": [markdown(t, CONTEXT_TEXT_MAX) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def confirm(title: str, text: str, yes: str, no: str = "Cancel") -> dict[str, Any]:
    """A confirmation dialog shown before a button's action is sent."""
    return {
        "title": plain(title, 100),
        "text": markdown(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain(no, 30),
    }


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    style: str | None = None,
    confirmation: dict[str, Any] | None = None,
    url: str | None = None,
) -> Block:
    """A button; `style` is primary or danger, used sparingly."""
    element: Block = {
        "type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    if confirmation:
        element["confirm"] = confirmation
    if url:
        element["url"] = url
    return element


def actions(block_id: str, *elements: Block) -> Block:
    """A row of interactive elements (at most 25)."""
    return {"type": "actions", "block_id": block_id, "elements": list(elements[:25])}


def text_input(
    block_id: str,
    label: str,
    *,
    action_id: str = "value",
    multiline: bool = False,
    optional: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
    max_length: int | None = None,
    hint: str | None = None,
) -> Block:
    """An input block holding a plain-text field."""
    element: Block = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    if max_length:
        element["max_length"] = max_length
    return _input(block_id, label, element, optional, hint)


def select_input(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    action_id: str = "value",
    initial: str | None = None,
    hint: str | None = None,
) -> Block:
    """An input block with a single-choice menu of (value, text) options."""
    choices = [{"text": plain(text, 75), "value": value} for value, text in options]
    element: Block = {"type": "static_select", "action_id": action_id, "options": choices}
    chosen = [c for c in choices if c["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return _input(block_id, label, element, False, hint)


def checkboxes_input(
    block_id: str,
    label: str,
    options: list[tuple[str, str]],
    *,
    action_id: str = "value",
    selected: bool = False,
) -> Block:
    """An optional input block of up to 10 (value, mrkdwn text) checkboxes, ticked if
    `selected`."""
    choices = [{"text": markdown(text, 75), "value": value} for value, text in options[:10]]
    element: Block = {"type": "checkboxes", "action_id": action_id, "options": choices}
    if selected:
        element["initial_options"] = choices
    return _input(block_id, label, element, True, None)


def datetime_input(
    block_id: str,
    label: str,
    *,
    action_id: str = "value",
    initial: int | None = None,
    hint: str | None = None,
) -> Block:
    """An optional date-and-time picker; Slack sends the choice as a Unix timestamp."""
    element: Block = {"type": "datetimepicker", "action_id": action_id}
    if initial is not None:
        element["initial_date_time"] = initial
    return _input(block_id, label, element, True, hint)


def _input(block_id: str, label: str, element: Block, optional: bool, hint: str | None) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str = "",
    external_id: str | None = None,
) -> dict[str, Any]:
    """A modal view; submit is omitted for read-only views."""
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(title, VIEW_TITLE_MAX),
        "close": plain(close, VIEW_TITLE_MAX),
        "blocks": blocks,
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit, VIEW_TITLE_MAX)
    if private_metadata:
        view["private_metadata"] = private_metadata
    if external_id:
        view["external_id"] = external_id
    return view
