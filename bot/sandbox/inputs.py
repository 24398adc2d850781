"""Input blocks: drawn as form fields, and what was typed turned back into Slack's view state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, tzinfo
from typing import Any

from bot.sandbox.mrkdwn_html import escape, plain_html, to_html
from bot.sandbox.viewer import Viewer

Block = dict[str, Any]
TextRenderer = Callable[[Any, Viewer], str]
REQUIRED = "Please complete this required field."
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"
PICKERS = {"datepicker": ("date", "initial_date"), "timepicker": ("time", "initial_time")}


def input_block(block: Block, viewer: Viewer, text_html: TextRenderer) -> str:
    """An input block: label, field, hint, and room for the error Slack shows under it."""
    element = block.get("element") if isinstance(block.get("element"), dict) else {}
    assert isinstance(element, dict)
    block_id = str(block.get("block_id", ""))
    field_id = f"in-{block_id}-{element.get('action_id', '')}"
    optional = bool(block.get("optional"))
    label = text_html(block.get("label"), viewer)
    extra = ' <span class="bk-optional">(optional)</span>' if optional else ""
    hint = block.get("hint")
    hint_html = f'<div class="bk-hint">{text_html(hint, viewer)}</div>' if hint else ""
    return (f'<div class="bk-block bk-input" data-block-id="{escape(block_id)}" '
            f'data-optional="{str(optional).lower()}">'
            f'<label class="bk-label" for="{escape(field_id)}">{label}{extra}</label>'
            f"{field_html(element, field_id, viewer)}{hint_html}"
            '<div class="bk-error" role="alert" hidden></div></div>')


def field_html(element: Block, field_id: str, viewer: Viewer) -> str:
    """The form control for one input element."""
    kind = str(element.get("type"))
    common = (f'id="{escape(field_id)}" class="bk-element" data-type="{escape(kind)}" '
              f'data-action-id="{escape(str(element.get("action_id", "")))}"')
    placeholder = element.get("placeholder")
    if isinstance(placeholder, dict):
        common += f' placeholder="{escape(str(placeholder.get("text", "")))}"'
    if kind == "plain_text_input":
        initial = escape(str(element.get("initial_value") or ""))
        limit = element.get("max_length")
        if isinstance(limit, int):
            common += f' maxlength="{limit}"'
        if element.get("multiline"):
            return f'<textarea {common} rows="4">{initial}</textarea>'
        return f'<input type="text" {common} value="{initial}">'
    if kind == "static_select":
        return _select(element, common)
    if kind == "checkboxes":
        return _checkboxes(element, common, viewer)
    if kind == "datetimepicker":
        stamp = element.get("initial_date_time")
        value = (datetime.fromtimestamp(stamp, viewer.tz).strftime(LOCAL_MINUTE)
                 if isinstance(stamp, int) else "")
        return (f'<input type="datetime-local" {common} value="{value}">'
                f'<span class="bk-zone">{escape(str(viewer.tz))}</span>')
    if kind in PICKERS:
        html_type, key = PICKERS[kind]
        return f'<input type="{html_type}" {common} value="{escape(str(element.get(key, "")))}">'
    return f'<div class="bk-unsupported">The sandbox does not show this field: {escape(kind)}</div>'


def _select(element: Block, common: str) -> str:
    initial = element.get("initial_option")
    chosen = initial.get("value") if isinstance(initial, dict) else None
    options = ['<option value="">Select an option</option>'] if chosen is None else []
    for option in element.get("options") or []:
        value = str(option.get("value", ""))
        selected = " selected" if value == chosen else ""
        text = plain_html(str((option.get("text") or {}).get("text", value)))
        options.append(f'<option value="{escape(value)}"{selected}>{text}</option>')
    return f'<select {common}>{"".join(options)}</select>'


def _checkboxes(element: Block, common: str, viewer: Viewer) -> str:
    """One box per option, its text drawn as Slack draws it (a checkbox's text may be mrkdwn);
    the page sends the ticked values one per line."""
    ticked = {str(o.get("value")) for o in element.get("initial_options") or []}
    boxes = []
    for option in element.get("options") or []:
        value = str(option.get("value", ""))
        checked = " checked" if value in ticked else ""
        label = option.get("text") if isinstance(option.get("text"), dict) else {}
        shown = str(label.get("text", value))
        text = to_html(shown, viewer) if label.get("type") == "mrkdwn" else plain_html(shown)
        boxes.append(f'<label class="bk-checkbox"><input type="checkbox" '
                     f'value="{escape(value)}"{checked}> {text}</label>')
    return f'<div {common}>{"".join(boxes)}</div>'


def state_values(blocks: list[Block], typed: dict[str, Any], tz: tzinfo
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Slack's `view.state.values` for what was typed, and the required fields left empty.

    Only the view's own input blocks count; the element types come from the view, never from
    the page.
    """
    values: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    for block in blocks:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        block_id, action_id = str(block.get("block_id", "")), str(element.get("action_id", ""))
        raw = (typed.get(block_id) or {}).get(action_id)
        text = raw if isinstance(raw, str) else ""
        value = _value(element, text, tz)
        values[block_id] = {action_id: value}
        chosen = [v for k, v in value.items() if k != "type"]
        if not block.get("optional") and not any(
                v.strip() if isinstance(v, str) else bool(v) if isinstance(v, list)
                else v is not None for v in chosen):
            missing[block_id] = REQUIRED
    return values, missing


def _value(element: Block, typed: str, tz: tzinfo) -> dict[str, Any]:
    kind = str(element.get("type"))
    if kind == "plain_text_input":
        return {"type": kind, "value": typed or None}  # as typed, blanks included
    text = typed.strip()
    if kind == "static_select":
        found = [o for o in element.get("options") or [] if str(o.get("value")) == text]
        return {"type": kind, "selected_option": found[0] if found else None}
    if kind == "checkboxes":
        ticked = set(text.splitlines())
        return {"type": kind, "selected_options": [
            o for o in element.get("options") or [] if str(o.get("value")) in ticked]}
    if kind == "datetimepicker":
        return {"type": kind, "selected_date_time": _timestamp(text, tz)}
    if kind == "datepicker":
        return {"type": kind, "selected_date": _checked(text, date.fromisoformat)}
    if kind == "timepicker":
        return {"type": kind, "selected_time": _checked(text, time.fromisoformat)}
    return {"type": kind, "value": text or None}  # an element the sandbox does not draw


def _timestamp(text: str, tz: tzinfo) -> int | None:
    """A datetime-local value read in the person's own time zone, as Slack's picker does."""
    try:
        return int(datetime.strptime(text, LOCAL_MINUTE).replace(tzinfo=tz).timestamp())
    except ValueError:
        return None


def _checked(text: str, parse: Callable[[str], object]) -> str | None:
    try:
        parse(text)
    except ValueError:
        return None
    return text
