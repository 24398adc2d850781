"""App Home: awaiting my approval, my requests, recently decided; always within 100 blocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import Block, actions, button, context, divider, header, section
from bot.slack.rendering.labels import risk_label, state_label
from bot.slack.rendering.mrkdwn import clip, date, escape, person
from workflow.model import ChangeRequest, State
from workflow.progress import active_stage, stage_progress
from workflow.rules_post_review import needs_review

VIEW_BLOCKS_MAX = 100
FIRST_PAGE = 5
MORE_STEP = 10
AWAITING, MINE, DECIDED, REVIEWS = "awaiting", "mine", "decided", "reviews"
OWED = (REVIEWS, "Needs your review", "")  # shown only while a review is owed
SECTIONS = (
    (AWAITING, "Awaiting my approval", "Nothing waits for you."),
    (MINE, "My requests", "You have no open requests."),
    (DECIDED, "Recently decided", "Nothing decided recently."),
)


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
    # Every section costs a header and a divider, plus one block per item and one for "more";
    # the awaiting list one more, for its bulk review buttons.
    sections = ((OWED,) if data.lists.get(REVIEWS) else ()) + SECTIONS
    fixed = len(blocks) + 3 * len(sections) + 1
    budget = VIEW_BLOCKS_MAX - fixed
    for key, title, empty in sections:
        items = list(data.lists.get(key, ()))
        total = data.totals.get(key, len(items))
        want = data.shown.get(key, FIRST_PAGE)
        room = max(0, min(want, budget - 1))
        shown = items[:room]
        budget -= len(shown)
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
