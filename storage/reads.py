"""Read-side values shared by the SQL and in-memory listings: filters, pages, outbox backlog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workflow.escalation import eligible_groups
from workflow.model import ChangeRequest, State
from workflow.progress import active_stage


@dataclass(frozen=True, slots=True)
class ChangeFilter:
    """Conditions a listed change meets, all at once (AND)."""

    states: frozenset[State] = frozenset()
    requester: str | None = None
    awaiting: str | None = None  # a person: changes whose active stage waits for them
    awaiting_groups: frozenset[str] = field(default_factory=frozenset)  # that person's groups


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
    """Outbox messages not delivered yet, and those given up on."""

    pending: int
    dead: int
    oldest_pending_at: datetime | None = None


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


def matches(cr: ChangeRequest, where: ChangeFilter) -> bool:
    """Whether a change meets every condition of the filter."""
    if where.states and cr.state not in where.states:
        return False
    if where.requester is not None and cr.requester != where.requester:
        return False
    return where.awaiting is None or awaits(cr, where.awaiting, where.awaiting_groups)
