"""The Slack read queries over the SQL storage, built from its `Queries` (lists and history).

`involving` has no single indexed query yet: it combines the person's own requests with the
recent changes in each later state and keeps those the person took part in. A storage query
over responses and comments should replace it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.slack.context import AuditAnchor, Settled
from bot.slack.queries import REFUSED, involves
from storage.sql.queries import Queries
from workflow.model import ChangeRequest, State
from workflow.ports import UnitOfWorkFactory

PAST_REVIEW = (State.PENDING_REVIEW, State.APPROVED, State.SCHEDULED, State.EXECUTING,
               State.APPLIED, State.FAILED, State.APPLY_UNKNOWN, State.REJECTED,
               State.CANCELLED, State.EXPIRED)


class SqlChangeQueries:
    """ChangeQueries on the reader engine (lists, history) and a unit of work (one change)."""

    def __init__(self, queries: Queries, uow: UnitOfWorkFactory) -> None:
        self._queries = queries
        self._uow = uow

    async def get(self, change_id: str) -> ChangeRequest | None:
        async with self._uow() as uow:
            return await uow.changes.get(change_id)

    async def in_review(self, limit: int) -> Sequence[ChangeRequest]:
        newest_first = await self._queries.in_state(State.PENDING_REVIEW, limit)
        return list(reversed(newest_first))

    async def involving(self, person: str, limit: int) -> Sequence[ChangeRequest]:
        found = {cr.id: cr for cr in await self._queries.requested_by(person, limit)}
        for state in PAST_REVIEW:
            for cr in await self._queries.in_state(state, limit):
                if involves(cr, person):
                    found.setdefault(cr.id, cr)
        ordered = sorted(found.values(), key=lambda cr: (cr.created_at, cr.id), reverse=True)
        return ordered[:limit]

    async def anchor(self, change_id: str) -> AuditAnchor | None:
        history = await self._queries.history(change_id)
        return AuditAnchor(history[-1].seq, history[-1].hash) if history else None

    async def settled(self, change_id: str) -> Settled | None:
        for row in reversed(await self._queries.history(change_id)):
            record = row.record
            if record.get("kind") != REFUSED:
                at = datetime.fromisoformat(str(record["at"]))
                return Settled(str(record["kind"]), str(record["actor"]), at)
        return None
