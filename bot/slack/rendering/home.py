"""App Home: what needs me, awaiting my approval (each row with its Approve, Reject and View
change), approved by me and still open, my requests, recently decided; always within 100
blocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import Block, actions, button, context, divider, header, section
from bot.slack.rendering.card_parts import last_rejection
from bot.slack.rendering.digest import review_buttons
from bot.slack.rendering.labels import risk_label, state_label
from bot.slack.rendering.mrkdwn import clip, date, escape, person
from workflow.model import ChangeRequest, State
from workflow.progress import active_stage, stage_progress
from workflow.rules_post_review import needs_review
from workflow.seen import Seen

VIEW_BLOCKS_MAX = 100
FIRST_PAGE = 5
MORE_STEP = 10
REASON_CHARS = 300
AWAITING, MINE, DECIDED = "awaiting", "mine", "decided"
NEEDS, APPROVED = "needs", "approved"  # what waits for me as requester; what I approved
NEEDED = (NEEDS, "Needs my action", "")  # shown only while something needs the person
APPROVED_OPEN = (APPROVED, "Approved by me, still open", "")  # shown only when there are some
SECTIONS = (
    (AWAITING, "Awaiting my approval", "Nothing waits for you."),
    (MINE, "My requests", "You have no open requests."),
    (DECIDED, "Recently decided", "Nothing decided recently."),
)
ROW_BLOCKS = {AWAITING: 2}  # a row of the awaiting list is its line and its buttons


@dataclass(frozen=True, slots=True)
class HomeData:
    """The person's lists, newest first, and links to the cards that exist."""

    user: str
    lists: Mapping[str, Sequence[ChangeRequest]]
    shown: Mapping[str, int] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    totals: Mapping[str, int] = field(default_factory=dict)  # when `lists` hold a first page


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab; each list shows `shown[key]` items and a "Show more" button beyond."""
    blocks: list[Block] = [
        header("ChangeGate"),
        context(f"Changes that concern {person(data.user)}. Use `/change new` to propose one."),
    ]
    # Every section costs a header and a divider, plus its rows (ROW_BLOCKS each) and one for
    # "more"; the awaiting list one more, for its bulk review buttons. The lists that only say
    # what needs doing are left out while they are empty.
    sections = (((NEEDED,) if data.lists.get(NEEDS) else ()) + SECTIONS[:1]
                + ((APPROVED_OPEN,) if data.lists.get(APPROVED) else ()) + SECTIONS[1:])
    fixed = len(blocks) + 3 * len(sections) + 1
    budget = VIEW_BLOCKS_MAX - fixed
    for key, title, empty in sections:
        items = list(data.lists.get(key, ()))
        total = data.totals.get(key, len(items))
        want = data.shown.get(key, FIRST_PAGE)
        cost = ROW_BLOCKS.get(key, 1)
        room = max(0, min(want, (budget - 1) // cost))
        shown = items[:room]
        budget -= len(shown) * cost
        blocks.append(divider())
        blocks.append(section(f"*{title}* ({total})"))
        if not items:
            blocks.append(context(empty))
            continue
        if key == AWAITING:
            blocks.append(actions("bulk_review", *(
                button(label, f"{ids.HOME_BULK}_{verdict}", verdict)
                for verdict, label in (("approve", "Approve several…"),
                                       ("reject", "Reject several…")))))
            for n, cr in enumerate(shown):  # Approve and Reject open the bound forms
                blocks += [_item(cr, data.links.get(cr.id)),
                           actions(f"{ids.HOME_ROW}{n}", *review_buttons(cr))]
        elif key == NEEDS:
            blocks += [_needed(cr) for cr in shown]
        else:
            blocks += [_item(cr, data.links.get(cr.id)) for cr in shown]
        if total > len(shown) and budget > 0:
            blocks.append(actions(f"more_{key}", button(
                f"Show more ({total - len(shown)} more)", ids.HOME_MORE, key)))
            budget -= 1
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}


def _item(cr: ChangeRequest, link: str | None) -> Block:
    title = escape(clip(cr.metadata.title, 150))
    c = cr.content
    line = (f"*{cr.id}* · {title}\n{state_label(cr.state)} · {risk_label(c.risk)} · "
            f"`{escape(clip(f'{c.family}/{c.action} {c.target}', 120))}`")
    detail = _detail(cr)
    if detail:
        line += f"\n{detail}"
    accessory = button("Open card", ids.OPEN_CARD, cr.id, url=link) if link else None
    return section(line, accessory=accessory)


def _needed(cr: ChangeRequest) -> Block:
    """A change of the person's own that waits for them, what happened, and the one button
    that does what it needs: Edit a rejected or expired change, settle an unknown apply,
    record an owed review (each bound to what the row shows, as on the card)."""
    title = escape(clip(cr.metadata.title, 150))
    value = ids.button_value(cr.id, Seen.of(cr))
    line = f"*{cr.id}* · {title}\n{state_label(cr.state)} · {risk_label(cr.content.risk)}"
    if cr.state is State.REJECTED:
        rejection = last_rejection(cr)
        if rejection is not None:
            line += (f"\nRejected by {person(rejection.person)} {date(rejection.at)}:\n"
                     f"> {escape(clip(rejection.comment, REASON_CHARS))}")
        return section(line, accessory=button("Edit", ids.EDIT, value, style="primary"))
    if cr.state is State.EXPIRED:
        line += ("\nNo decision came before the approval timeout: edit it and submit it "
                 "again, or copy it as new from its card")
        return section(line, accessory=button("Edit", ids.EDIT, value, style="primary"))
    if cr.state is State.APPLY_UNKNOWN:
        line += ("\nNobody knows whether its apply went through: check the target and say "
                 "what happened")
        return section(line, accessory=button("Mark applied or failed", ids.RESOLVE, value,
                                              style="primary"))
    return section(f"{line}\n{_detail(cr)}", accessory=button(
        "Record review", ids.POST_REVIEW, value, style="primary"))


def _detail(cr: ChangeRequest) -> str:
    if cr.state is State.PENDING_REVIEW and cr.workflow:
        index = active_stage(cr)
        if index is not None:
            progress = stage_progress(cr, index)
            have = sum(len(r.approvers) for r in progress.requirements)
            need = sum(r.requirement.count for r in progress.requirements)
            name = f" · {escape(progress.stage.name)}" if progress.stage.name else ""
            expiry = f" · decide by {date(cr.expires_at)}" if cr.expires_at else ""
            return (f"Stage {index + 1} of {len(cr.workflow.stages)}{name} · "
                    f"{have} of {need} approvals · requested by {person(cr.requester)}{expiry}")
    if needs_review(cr) and cr.remind_at is not None:
        return (f"post-implementation review due {date(cr.remind_at)}: "
                f"`changegate post-review {cr.id}`")
    return f"requested by {person(cr.requester)}"
