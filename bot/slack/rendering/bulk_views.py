"""Views of reviewing several changes at once from App Home: pick, confirm, summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import Block, checkboxes_input, context, modal, section, text_input
from bot.slack.rendering.mrkdwn import clip, escape
from workflow.model import ChangeRequest
from workflow.seen import Seen

BULK_MAX = 200  # changes one bulk review offers: 20 blocks of 10 checkboxes
PER_BLOCK = 10  # Slack's limit of options in one checkboxes element
SUMMARY_MAX = 3900
NOTE_MAX = 3000
VERBS = {"approve": ("Approve", "approved"), "reject": ("Reject", "rejected")}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one change of a bulk review: recorded, or refused and why."""

    change_id: str
    refusal: str | None = None


def option(cr: ChangeRequest) -> tuple[str, str]:
    """A change as a checkbox: its value names what the reviewer saw (revision and digest)."""
    return (ids.button_value(cr.id, Seen.of(cr)),
            f"*{cr.id}* {escape(clip(cr.metadata.title, 60))}")


def _boxes(options: Sequence[tuple[str, str]], selected: bool) -> list[Block]:
    return [checkboxes_input(f"{ids.BULK_BLOCK}{i // PER_BLOCK}",
                             "Changes" if i == 0 else "More changes",
                             list(options[i:i + PER_BLOCK]), selected=selected)
            for i in range(0, len(options), PER_BLOCK)]


def select_modal(verdict: str, changes: Sequence[ChangeRequest]) -> dict[str, Any]:
    """Tick the changes awaiting you to approve (or reject) them at once."""
    verb = VERBS[verdict][0]
    blocks: list[Block] = [context(
        f"Tick the changes to {verdict}. Each is decided on its own, with the same rules as its "
        "card (four eyes, your stage, the dry-run you see, its freshness).")]
    blocks += _boxes([option(cr) for cr in changes[:BULK_MAX]], selected=False)
    return modal(f"{verb} several", blocks, callback_id=ids.BULK_SELECT_VIEW, submit="Next",
                 close="Cancel", private_metadata=json.dumps({"verdict": verdict}))


def confirm_modal(verdict: str, options: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The one confirmation: the chosen changes, and one reason for all when rejecting."""
    verb = VERBS[verdict][0]
    asked = (f"{verb} this change? Untick it to leave it out." if len(options) == 1 else
             f"{verb} these {len(options)} changes? Untick any to leave it out.")
    blocks: list[Block] = [section(asked)]
    blocks += _boxes(options, selected=True)
    if verdict == "reject":
        blocks.append(text_input(ids.COMMENT_BLOCK, "Reason (sent with every rejection)",
                                 multiline=True, max_length=NOTE_MAX))
    else:  # Slack itself marks an optional field "(optional)"
        blocks.append(text_input(ids.COMMENT_BLOCK, "Comment", multiline=True,
                                 optional=True, max_length=NOTE_MAX))
    return modal(f"{verb} {len(options)}", blocks, callback_id=ids.BULK_CONFIRM_VIEW,
                 submit=f"{verb} {len(options)}", close="Back",
                 private_metadata=json.dumps({"verdict": verdict}))


def summary_text(verdict: str, outcomes: Sequence[Outcome]) -> str:
    """One message: which were recorded, which refused and why."""
    done = [o.change_id for o in outcomes if o.refusal is None]
    refused = [o for o in outcomes if o.refusal is not None]
    lines = [f":white_check_mark: You {VERBS[verdict][1]} {len(done)} of {len(outcomes)}"
             + (f": {escape(', '.join(done))}" if done else "")]
    if refused:
        lines.append(f":no_entry: {len(refused)} refused:")
        lines += [f"• *{escape(o.change_id)}*: {escape(o.refusal or '')}" for o in refused]
    return clip("\n".join(lines), SUMMARY_MAX)
