"""The change card: everything an approver needs, re-rendered from current state on every change."""

from __future__ import annotations

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    fields,
    header,
    section,
)
from bot.slack.rendering.card_context import CardContext, Message
from bot.slack.rendering.card_parts import (
    buttons,
    dry_run_text,
    outcome_text,
    progress_lines,
    ticket_text,
)
from bot.slack.rendering.edits import card_edit_text
from bot.slack.rendering.labels import risk_label, state_label
from bot.slack.rendering.mrkdwn import clip, code_block, code_text, date, escape, person
from workflow.model import ChangeRequest, State
from workflow.seen import Seen

DESCRIPTION_CHARS = 1500
ROLLBACK_CHARS = 1500  # escaped, as the payload's
ROLLBACK_LINES = 20
FIELD_CHARS = 300
PAYLOAD_LINES = 12
PAYLOAD_CHARS = 2400  # escaped, so the section stays within 3000 with its heading and note


def render_card(cr: ChangeRequest, ctx: CardContext) -> Message:
    """The card of a change as it stands; settled ones keep their story, lose their buttons."""
    blocks: list[Block] = [
        header(f"{cr.id} · {cr.metadata.title}"),
        section(_status_line(cr)),
        _facts(cr, ctx.ticket_url),
    ]
    if cr.metadata.description.strip():
        blocks.append(section(escape(clip(cr.metadata.description.strip(), DESCRIPTION_CHARS))))
    edited = card_edit_text(cr)
    if edited:
        blocks.append(section(edited))
    blocks.append(section(payload_excerpt(cr.content.payload)))
    blocks.append(section(rollback_excerpt(cr.content.rollback_plan)))
    blocks.append(section(dry_run_text(cr, ctx)))
    lines = progress_lines(cr, ctx.available)
    if lines:
        blocks.append(section("\n".join(lines)))
    outcome = outcome_text(cr, ctx)
    if outcome:
        blocks.append(section(outcome))
    row = buttons(cr, ctx.audience, ctx.now)
    if row:  # the whole change, read-only, wherever the card still offers something to do
        row.append(button("View change", ids.VIEW_CHANGE, ids.button_value(cr.id, Seen.of(cr))))
        blocks.append(actions(ids.CARD_ACTIONS_BLOCK, *row))
    blocks.append(divider())
    blocks.append(context(_footer(cr, ctx)))
    return Message(text=notification_text(cr), blocks=blocks)


def rollback_excerpt(plan: str) -> str:
    """The rollback plan as written, in a code block like the payload: its indentation is kept
    (a device's configuration depends on it); only blank lines around it are left out."""
    lines = plan.rstrip().splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return "*Rollback plan*\n_none given_"
    return payload_excerpt("\n".join(lines), "Rollback plan", ROLLBACK_LINES, ROLLBACK_CHARS)


def payload_excerpt(payload: str, title: str = "Payload", most_lines: int = PAYLOAD_LINES,
                    most_chars: int = PAYLOAD_CHARS) -> str:
    """The payload's first lines in a code block, saying how much of it the card leaves out."""
    cut, used, lines = 0, 0, 0
    for char in payload:
        used += len(code_text(char))
        if used > most_chars or (char == "\n" and lines + 1 >= most_lines):
            break
        lines += char == "\n"
        cut += 1
    shown = payload[:cut].rstrip("\n")
    text = f"*{title}*\n{code_block(shown or ' ')}"
    left = payload[len(shown):].strip("\n")
    if left:
        more = len(left.splitlines())
        text += (f"\n_{len(left):,} more characters ({more:,} more line{'s' * (more != 1)}) "
                 "not shown: press *View change*_")
    return text


def notification_text(cr: ChangeRequest) -> str:
    """The message text phones show in notifications, escaped as the blocks are: a title
    cannot mention a channel or show a link there either."""
    return clip(f"{cr.id} {escape(cr.metadata.title)}: {state_label(cr.state)}", 3000)


def _status_line(cr: ChangeRequest) -> str:
    label = f"*{state_label(cr.state)}*"
    submitted = f", submitted {date(cr.submitted_at)}" if cr.submitted_at else ""
    line = f"{label} · requested by {person(cr.requester)}{submitted}"
    if cr.state is State.PENDING_REVIEW and cr.expires_at:
        line += f"\nA decision is needed by {date(cr.expires_at)}"
    return line


def _facts(cr: ChangeRequest, ticket_url: str | None = None) -> Block:
    content = cr.content
    schedule = date(content.scheduled_for) if content.scheduled_for else "as soon as approved"
    return fields(
        ("Change", _short(f"{content.family} / {content.action}")),
        ("Target", _short(content.target)),
        ("Risk", risk_label(content.risk)),
        ("Ticket", ticket_text(cr.metadata.ticket, ticket_url, FIELD_CHARS)),
        ("Schedule", schedule),
        ("Revision", _revision(cr)),
    )


def _revision(cr: ChangeRequest) -> str:
    """ "2, edited by <@U> <date>" once the change was revised."""
    latest = cr.revisions[-1]
    if latest.number == 1:
        return "1"
    return f"{latest.number}, edited by {person(latest.author)} {date(latest.created_at)}"


def _short(text: str) -> str:
    return f"`{escape(clip(text, FIELD_CHARS))}`" if text else "_none_"


def _footer(cr: ChangeRequest, ctx: CardContext) -> str:
    parts = [cr.id, f"revision {cr.revision}"]
    if cr.workflow:
        parts.append(f"workflow {escape(cr.workflow.name)}")
    if ctx.anchor:
        parts.append(f"audit #{ctx.anchor.seq} `{ctx.anchor.hash[:12]}`")
    return " · ".join(parts)
