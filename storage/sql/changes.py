"""Change repository on SQL: compare-and-set on the version; unique keys make races harmless."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.errors import is_unique_violation, translated
from storage.sql.projection import author_rows, change_row, response_rows, review_group_rows
from storage.sql.schema import change_authors, change_requests, counters, responses, review_groups
from workflow.codec import change_from_dict
from workflow.errors import ConcurrencyConflict, DuplicateRequest
from workflow.model import ChangeRequest, State

CHANGE_COUNTER = "change_requests"
CHILDREN = (responses, review_groups, change_authors)


class SqlChanges:
    """Change requests of one unit of work's transaction."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    async def next_id(self) -> str:
        """Bump the counter row: the row lock (or SQLite's write lock) makes every n unique."""
        async with translated():
            result = await self._conn.execute(
                update(counters)
                .where(counters.c.name == CHANGE_COUNTER)
                .values(value=counters.c.value + 1)
                .returning(counters.c.value)
            )
            value = result.scalar_one_or_none()
        if value is None:
            raise RuntimeError("the change counter is missing: run `changegate db upgrade`")
        return f"CHG-{value}"

    async def get(self, change_id: str) -> ChangeRequest | None:
        async with translated(change_id):
            data = await self._conn.scalar(
                select(change_requests.c.data).where(change_requests.c.id == change_id)
            )
        return change_from_dict(data) if data is not None else None

    async def find_by_idempotency_key(self, requester: str, key: str) -> ChangeRequest | None:
        async with translated():
            data = await self._conn.scalar(
                select(change_requests.c.data).where(
                    change_requests.c.requester == requester,
                    change_requests.c.idempotency_key == key,
                )
            )
        return change_from_dict(data) if data is not None else None

    async def add(self, change: ChangeRequest) -> None:
        """Insert; a used idempotency key is DuplicateRequest, any other clash a conflict."""
        try:
            async with translated(change.id), self._conn.begin_nested():
                await self._conn.execute(
                    insert(change_requests).values(change_row(change, self._now))
                )
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            if change.idempotency_key is not None:
                existing = await self.find_by_idempotency_key(
                    change.requester, change.idempotency_key
                )
                if existing is not None:
                    raise DuplicateRequest(existing.id) from None
            raise ConcurrencyConflict(change.id) from None
        await self._write_children(change)

    async def update(self, change: ChangeRequest, expected_version: int) -> None:
        """`UPDATE … WHERE id = ? AND version = ?`: no row means someone else saved first."""
        row = change_row(change, self._now)
        del row["created_at"]
        async with translated(change.id):
            result = await self._conn.execute(
                update(change_requests)
                .where(
                    change_requests.c.id == change.id,
                    change_requests.c.version == expected_version,
                )
                .values(row)
            )
        if result.rowcount != 1:
            raise ConcurrencyConflict(change.id)
        for table in CHILDREN:
            async with translated(change.id):
                await self._conn.execute(delete(table).where(table.c.change_id == change.id))
        await self._write_children(change)

    async def _write_children(self, change: ChangeRequest) -> None:
        """Responses, review groups and authors follow the aggregate on every save."""
        for table, rows in (
            (responses, response_rows(change)),
            (review_groups, review_group_rows(change)),
            (change_authors, author_rows(change)),
        ):
            if not rows:
                continue
            try:
                async with translated(change.id):
                    await self._conn.execute(insert(table), rows)
            except IntegrityError as exc:
                # A second live response of one person: another writer got there first.
                if is_unique_violation(exc):
                    raise ConcurrencyConflict(change.id) from None
                raise

    async def due(self, now: datetime, limit: int = 500) -> Sequence[str]:
        async with translated():
            result = await self._conn.scalars(
                select(change_requests.c.id)
                .where(change_requests.c.next_deadline <= now)
                .order_by(change_requests.c.next_deadline, change_requests.c.number)
                .limit(limit)
            )
            return list(result)

    async def in_state_executing(self) -> Sequence[str]:
        async with translated():
            result = await self._conn.scalars(
                select(change_requests.c.id)
                .where(change_requests.c.state == State.EXECUTING.value)
                .order_by(change_requests.c.number)
            )
            return list(result)
