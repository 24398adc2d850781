"""Form placeholders are examples that cannot be mistaken for values already filled in."""

from __future__ import annotations

from typing import Any

from bot.slack.rendering.modals import (
    approve_modal,
    comment_modal,
    proposal_modal,
    reject_modal,
    resolve_modal,
    withdraw_modal,
)
from bot.slack.rendering.validate import check_view
from tests.support.builders import T0, pending
from workflow.seen import Seen


def placeholders(view: dict[str, Any]) -> list[str]:
    return [str(b["element"]["placeholder"]["text"]) for b in view["blocks"]
            if b.get("type") == "input" and "placeholder" in b.get("element", {})]


def test_every_placeholder_reads_as_an_example_or_a_question() -> None:
    cr = pending()
    views = [proposal_modal(), approve_modal(cr, "", Seen(1, None), T0),
             reject_modal(cr, "", Seen(1, None)),
             withdraw_modal(cr), comment_modal(cr), resolve_modal(cr)]
    shown = [text for view in views for text in placeholders(view)]

    for view in views:
        check_view(view)
    assert "e.g. bgp" in shown and "e.g. edge-1" in shown
    assert [t for t in shown if not (t.startswith("e.g. ") or t.endswith("?"))] == []
