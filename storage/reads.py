"""Read-side values shared by the SQL and in-memory listings: filters, pages, outbox backlog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflow.escalation import eligible_groups
from workflow.model import ChangeRequest, State, Verdict
from workflow.progress import active_stage
from workflow.rules_post_review import needs_review

# "Approved by me, still open": past the approver's say but not settled yet.
STILL_OPEN = frozenset({State.PENDING_REVIEW, State.APPROVED, State.SCHEDULED, State.EXECUTING})
# A rejected or expired change needs its requester's action (edit, or copy as new) this long
# after the last thing that happened to it; an unknown apply or an owed review, until settled.
NEEDS_ACTION_FOR = timedelta(days=14)
ENDED_UNAPPLIED = frozenset({State.REJECTED, State.EXPIRED})


def needs_action_since(now: datetime) -> datetime:
    """The oldest activity of a rejected or expired change that still needs action at `now`."""
    return now - NEEDS_ACTION_FOR


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    """Conditions a listed change meets, all at once (AND)."""

    states: frozenset[State] = frozenset()
    requester: str | None = None
    awaiting: str | None = None  # a person: changes whose active stage waits for them
    awaiting_groups: frozenset[str] = field(default_factory=frozenset)  # that person's groups
    needs_action: str | None = None  # a requester: their changes that need them (see below)
    needs_action_since: datetime | None = None  # needs_action_since(now) of the listing
    approved_by: str | None = None  # a person whose live approval an open change carries


@dataclass(frozen=True, slots=True)
class ChangePage:
    """Changes newest first; `next_before` continues the listing, None at its end."""

    changes: list[ChangeRequest]
    next_before: int | None


@dataclass(frozen=True, slots=True)
class Page:
    """How many changes a list holds, and the first of them."""

    total: int
    items: list[ChangeRequest]


@dataclass(frozen=True, slots=True)
class Backlog:
    """Outbox messages not delivered yet, and those given up on; `topics` counts them by topic
    (`change.event`, `subscription.event`), delivered ones too."""

    pending: int
    dead: int
    oldest_pending_at: datetime | None = None
    topics: dict[str, TopicCounts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TopicCounts:
    """The outbox messages of one topic: waiting, delivered, given up on."""

    pending: int = 0
    delivered: int = 0
    dead: int = 0


def change_number(change_id: str) -> int:
    """The n of `CHG-n`."""
    prefix, _, digits = change_id.rpartition("-")
    if not prefix or not digits.isdigit():
        raise ValueError(f"change id {change_id!r} is not of the form CHG-n")
    return int(digits)


def awaits(cr: ChangeRequest, person: str, groups: frozenset[str]) -> bool:
    """In review, its active stage takes one of `groups`, not the person's own, not answered yet.

    The same rule as the SQL review queue (the review_groups projection and four eyes).
    """
    if cr.state is not State.PENDING_REVIEW or cr.workflow is None or person in cr.authors:
        return False
    stage = active_stage(cr)
    if stage is None or not groups & eligible_groups(cr, stage):
        return False
    return cr.live_response_of(person) is None


def approved_by(cr: ChangeRequest, person: str) -> bool:
    """Still open, and its current revision carries the person's live approval: the person has
    had their say and the change has not ended yet. The same rule as the SQL query."""
    response = cr.live_response_of(person)
    return (cr.state in STILL_OPEN and response is not None
            and response.verdict is Verdict.APPROVE)


def needs_action(cr: ChangeRequest, person: str, since: datetime | None,
                 active_at: datetime | None) -> bool:
    """The person's own change that waits for them: its apply outcome is unknown, its required
    post-implementation review is owed, or it was rejected or expired and its last activity
    (`active_at`) is not older than `since` (None: however old). The same rule as the SQL
    query."""
    if cr.requester != person:
        return False
    if cr.state is State.APPLY_UNKNOWN or needs_review(cr):
        return True
    return (cr.state in ENDED_UNAPPLIED
            and (since is None or (active_at is not None and active_at >= since)))


def matches(cr: ChangeRequest, where: ChangeFilter, active_at: datetime | None = None) -> bool:
    """Whether a change meets every condition of the filter; `active_at` is the time of its
    latest saved activity (what `needs_action` compares)."""
    if where.states and cr.state not in where.states:
        return False
    if where.requester is not None and cr.requester != where.requester:
        return False
    if where.approved_by is not None and not approved_by(cr, where.approved_by):
        return False
    if where.needs_action is not None and not needs_action(
            cr, where.needs_action, where.needs_action_since, active_at):
        return False
    return where.awaiting is None or awaits(cr, where.awaiting, where.awaiting_groups)
