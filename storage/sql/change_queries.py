"""The Slack read queries over the SQL storage, built from its `Queries`: every one is indexed
and runs on the reader engine, so delivering to Slack never waits for the writer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.ports.change_queries import REFUSED, AuditAnchor, Settled
from storage.reads import Page
from storage.sql.home_reads import HomeReads
from storage.sql.queries import Queries
from workflow.model import ChangeRequest, State


class SqlChangeQueries:
    """ChangeQueries on the reader engine."""

    def __init__(self, queries: Queries) -> None:
        self._queries = queries
        self._home = HomeReads(queries.db)

    async def get(self, change_id: str) -> ChangeRequest | None:
        return await self._queries.get(change_id)

    async def awaiting(self, person: str, groups: frozenset[str], limit: int) -> Page:
        return await self._home.awaiting(person, groups, limit)

    async def open_requests(self, person: str, limit: int) -> Page:
        return await self._home.open_requests(person, limit)

    async def decided(self, person: str, limit: int) -> Page:
        return await self._home.decided(person, limit)

    async def owed_reviews(self, person: str, limit: int) -> Page:
        return await self._home.owed_reviews(person, limit)

    async def needs_action(self, person: str, since: datetime, limit: int) -> Page:
        return await self._home.needs_action(person, since, limit)

    async def approved_by(self, person: str, limit: int) -> Page:
        return await self._home.approved_by(person, limit)

    async def in_review(self, limit: int) -> Sequence[ChangeRequest]:
        return await self._queries.in_state(State.PENDING_REVIEW, limit, oldest_first=True)

    async def involving(self, person: str, limit: int) -> Sequence[ChangeRequest]:
        return await self._queries.involving(person, limit)

    async def anchor(self, change_id: str) -> AuditAnchor | None:
        latest = await self._queries.latest_event(change_id)
        return AuditAnchor(latest.seq, latest.hash) if latest else None

    async def settled(self, change_id: str) -> Settled | None:
        latest = await self._queries.latest_event(change_id, skip=(REFUSED,))
        if latest is None:
            return None
        record = latest.record
        return Settled(str(record["kind"]), str(record["actor"]),
                       datetime.fromisoformat(str(record["at"])))
