"""A metadata edit on the card and in the thread: old→new, escaped, bounded, valid Block Kit."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from bot.slack.outbound.notices import thread_text
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.render import render_card
from bot.slack.rendering.validate import check_message
from tests.support.builders import T0, approved_by, pending
from workflow.commands import Edit
from workflow.decide import decide
from workflow.events import EventKind

HOSTILE = "<!channel> <https://evil|Approve here> & more"


def test_a_hostile_retitle_and_a_huge_description_are_escaped_and_clipped() -> None:
    cr = approved_by(pending(), "n1")
    metadata = replace(cr.metadata, title=HOSTILE, description="&" * 5000)

    decision = decide(cr, Edit(cr.id, "n9", metadata=metadata), T0)

    message = asdict(render_card(decision.change, CardContext(T0)))
    check_message(message)
    [edit] = [b["text"]["text"] for b in message["blocks"]
              if b["type"] == "section" and ":pencil2:" in b.get("text", {}).get("text", "")]
    escaped = "&lt;!channel&gt; &lt;https://evil|Approve here&gt; &amp; more"
    assert f"• *Title*: “t” → “{escaped}”" in edit
    assert len(edit) < 3000 and "&amp;…”" in edit and "&a…" not in edit
    [edited] = [e for e in decision.events if e.kind is EventKind.METADATA_EDITED]
    reply = thread_text(edited)
    assert reply is not None and "<!channel>" not in reply and "<https" not in reply
    assert json.dumps(edited.data["changes"]).count("&") == 5001  # the audit keeps it whole
