"""How a metadata edit reads on the card and in its thread: each changed field old→new, so a
retitle after approval is seen for what it is."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.slack.rendering.mrkdwn import ELLIPSIS, date, escape, person
from workflow.audit_facts import metadata_changes
from workflow.model import ChangeRequest

VALUE_CHARS = 300  # of each old and new value as shown, so eight of them fit in one section
FIELD_LABELS = {"title": "Title", "description": "Description", "ticket": "Ticket",
                "labels": "Labels"}
RESET_NOTE = "_Approvals given before this edit no longer count._"


def edit_lines(changes: Mapping[str, object]) -> list[str]:
    """One line per changed field, `*Title*: “old” → “new”`, in the order the fields come."""
    lines = []
    for name, change in changes.items():
        old = new = None
        if isinstance(change, Mapping):
            old, new = change.get("old"), change.get("new")
        label = FIELD_LABELS.get(name, escape(name))
        lines.append(f"• *{label}*: {_value(old)} → {_value(new)}")
    return lines


def card_edit_text(cr: ChangeRequest) -> str | None:
    """The card's note of the change's latest metadata edit, if it had one."""
    edit = cr.metadata_edit
    if edit is None:
        return None
    head = f":pencil2: *Edited* by {person(edit.actor)} {date(edit.at)}"
    lines = [head, *edit_lines(metadata_changes(edit.before, edit.after))]
    if edit.approvals_reset:
        lines.append(RESET_NOTE)
    return "\n".join(lines)


def thread_edit_text(actor: str, changes: object) -> str:
    """The thread's reply for a `metadata_edited` event."""
    lines = edit_lines(changes) if isinstance(changes, Mapping) else []
    return "\n".join([f":pencil2: {person(actor)} edited the change:", *lines])


def _value(value: object) -> str:
    """A value on one line, quoted and escaped, clipped after escaping (never inside an
    entity) so that its length as shown is bounded; a list joined; nothing said as such."""
    text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value or "")
    shown = escape(" ".join(text.split()))
    if len(shown) > VALUE_CHARS:
        shown = re.sub(r"&[a-z]*$", "", shown[:VALUE_CHARS - 1]) + ELLIPSIS
    return f"“{shown}”" if shown else "_none_"
