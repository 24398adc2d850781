"""Read queries the Slack side needs beyond the engine's get: App Home lists, audit anchors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.reads import Page
from workflow.model import ChangeRequest

REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class AuditAnchor:
    """The latest audit row of a change; its hash anchors the chain outside the database."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Settled:
    """The last thing that happened to a change (kind, who, when), for outcomes the model lacks."""

    kind: str
    actor: str
    at: datetime


class ChangeQueries(Protocol):
    """What cards, notifications and App Home read."""

    async def get(self, change_id: str) -> ChangeRequest | None:
        """One change as committed."""
        ...

    async def in_review(self, limit: int) -> Sequence[ChangeRequest]:
        """Changes pending review, oldest first."""
        ...

    async def awaiting(self, person: str, groups: frozenset[str], limit: int) -> Page:
        """Changes whose active stage the person (in `groups`) could approve now, oldest first."""
        ...

    async def open_requests(self, person: str, limit: int) -> Page:
        """The person's requests not yet settled, newest first."""
        ...

    async def owed_reviews(self, person: str, limit: int) -> Page:
        """The person's applied or failed changes whose required post-implementation review
        is not recorded yet, oldest first."""
        ...

    async def needs_action(self, person: str, since: datetime, limit: int) -> Page:
        """The person's own changes that wait for them (storage.reads.needs_action: apply
        outcome unknown, review owed, or rejected or expired with activity since `since`),
        newest first."""
        ...

    async def approved_by(self, person: str, limit: int) -> Page:
        """Changes still open (in review, approved, scheduled or executing) whose current
        revision carries the person's live approval, newest first."""
        ...

    async def decided(self, person: str, limit: int) -> Page:
        """What the person took part in that is past review, except their own open requests;
        latest activity first."""
        ...

    async def involving(self, person: str, limit: int) -> Sequence[ChangeRequest]:
        """Changes the person requested, wrote, answered or commented on, latest activity first."""
        ...

    async def anchor(self, change_id: str) -> AuditAnchor | None:
        """The change's latest audit row (sequence and hash)."""
        ...

    async def settled(self, change_id: str) -> Settled | None:
        """The change's latest event that was not a refusal: what happened last, who, when."""
        ...
