"""An approver's DM digest: how many changes await them and, for the oldest few, a line each with
the card's Approve, Reject and View change buttons (the same action ids and bound values, so the
same forms open and bind the same revision and dry-run). Pure: data in, blocks out."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import Block, actions, button, context, section
from bot.slack.rendering.card_context import Message
from bot.slack.rendering.card_parts import stage_title
from bot.slack.rendering.labels import risk_label
from bot.slack.rendering.mrkdwn import clip, escape, person
from workflow.model import ChangeRequest
from workflow.progress import active_stage, stage_progress
from workflow.seen import Seen

DIGEST_LISTED = 10  # changes listed with their buttons; the rest are counted (2 blocks each)
TITLE_CHARS = 150
DIGEST_BLOCK = "cg_digest_"  # followed by the change id: one row of buttons per change
NOTHING = "Nothing awaits you"


def awaiting_text(total: int) -> str:
    """ "1 change awaits you", "12 changes await you", or that nothing does."""
    if total <= 0:
        return NOTHING
    return "1 change awaits you" if total == 1 else f"{total:,} changes await you"


def digest_message(total: int, changes: Sequence[ChangeRequest]) -> Message:
    """The digest for `total` awaiting changes whose first ones (oldest first) are `changes`:
    at most DIGEST_LISTED are listed, then "and K more — see App Home"."""
    listed = list(changes[:DIGEST_LISTED])
    total = max(total, len(listed))
    head = awaiting_text(total)
    if not listed:
        return Message(text=head, blocks=[
            section(f":white_check_mark: *{head}.*"),
            context("Changes that await your approval are listed here as they come."),
        ])
    blocks: list[Block] = [
        section(f":inbox_tray: *{head}*"),
        context("Oldest first. Approving or rejecting here is the same as on the change's card."),
    ]
    for cr in listed:
        blocks.append(section(_line(cr)))
        blocks.append(actions(f"{DIGEST_BLOCK}{cr.id}", *review_buttons(cr)))
    more = total - len(listed)
    if more > 0:
        blocks.append(context(f"and {more:,} more — see App Home"))
    return Message(text=head, blocks=blocks)


def _line(cr: ChangeRequest) -> str:
    """ "*CHG-12* · title" over "risk · requested by @rita · Stage 1 of 2 · Senior review"."""
    facts = [risk_label(cr.content.risk), f"requested by {person(cr.requester)}"]
    index = active_stage(cr)
    if cr.workflow is not None and index is not None:
        facts.append(stage_title(stage_progress(cr, index), len(cr.workflow.stages)))
    return (f"*{escape(cr.id)}* · {escape(clip(cr.metadata.title, TITLE_CHARS))}\n"
            + " · ".join(facts))


def review_buttons(cr: ChangeRequest) -> list[Block]:
    """A row's Approve, Reject and View change: the card's own action ids, bound to the revision
    and dry-run the row shows (the digest and App Home's awaiting list use it alike)."""
    value = ids.button_value(cr.id, Seen.of(cr))
    return [button("Approve", ids.APPROVE, value, style="primary"),  # opens the bound form
            button("Reject", ids.REJECT, value, style="danger"),
            button("View change", ids.VIEW_CHANGE, value)]
