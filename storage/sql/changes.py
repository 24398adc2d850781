"""Change repository on SQL: compare-and-set on the version; unique keys make races harmless."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.apply_leases import Holder, SqlApplyLeases
from storage.sql.children import ChildWrites
from storage.sql.errors import UniqueViolation, translated
from storage.sql.projection import change_row
from storage.sql.schema import change_requests, counters
from workflow.codec import change_from_dict
from workflow.errors import ConcurrencyConflict, DuplicateRequest
from workflow.model import ChangeRequest

CHANGE_COUNTER = "change_requests"


class SqlChanges:
    """Change requests of one unit of work's transaction; saving a change that starts an apply
    makes this process the apply's holder (see SqlApplyLeases)."""

    def __init__(self, conn: AsyncConnection, now: datetime, holder: Holder) -> None:
        self._conn = conn
        self._now = now
        self._leases = SqlApplyLeases(conn, now, holder)
        self._read: dict[str, ChangeRequest] = {}  # as read in this transaction, by id

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
        if data is None:
            return None
        found = self._read[change_id] = change_from_dict(data)
        return found

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
        """Insert; a used idempotency key is DuplicateRequest carrying the change that used it
        (on PostgreSQL the insert waits for that change's transaction, then reads it committed),
        any other clash a conflict."""
        try:
            async with translated(change.id), self._conn.begin_nested():
                await self._conn.execute(
                    insert(change_requests).values(change_row(change, self._now))
                )
        except UniqueViolation:
            if change.idempotency_key is not None:
                existing = await self.find_by_idempotency_key(
                    change.requester, change.idempotency_key
                )
                if existing is not None:
                    raise DuplicateRequest(existing) from None
            raise ConcurrencyConflict(change.id) from None
        writes = ChildWrites()
        writes.add(change, None)
        await writes.write(self._conn, change.id)
        await self._leases.follow(change)
        self._read[change.id] = change

    async def update(self, change: ChangeRequest, expected_version: int) -> None:
        """`UPDATE … WHERE id = ? AND version = ?`: no row means someone else saved first."""
        await self.update_many([(change, expected_version)])

    async def get_many(self, change_ids: Sequence[str]) -> dict[str, ChangeRequest]:
        """Several changes in one query; missing ones are left out."""
        if not change_ids:
            return {}
        async with translated():
            rows = (await self._conn.execute(
                select(change_requests.c.id, change_requests.c.data)
                .where(change_requests.c.id.in_(list(change_ids)))
            )).all()
        found = {row.id: change_from_dict(row.data) for row in rows}
        self._read.update(found)
        return found

    async def update_many(self, saves: Sequence[tuple[ChangeRequest, int]]) -> None:
        """Compare-and-set several changes, then their child rows, a statement per kind of
        write: all saved, or ConcurrencyConflict (the caller rolls the transaction back)."""
        if not saves:
            return
        first = saves[0][0].id
        rows = []
        for change, expected in saves:
            row = change_row(change, self._now)
            del row["created_at"], row["id"]
            rows.append({**row, "b_id": change.id, "b_version": expected})
        statement = update(change_requests).where(
            change_requests.c.id == bindparam("b_id"),
            change_requests.c.version == bindparam("b_version"),
        )
        if len(rows) == 1 or not self._conn.dialect.supports_sane_multi_rowcount:
            for row in rows:
                change_id, expected = row.pop("b_id"), row.pop("b_version")
                async with translated(change_id):
                    result = await self._conn.execute(
                        update(change_requests)
                        .where(change_requests.c.id == change_id,
                               change_requests.c.version == expected)
                        .values(row))
                if result.rowcount != 1:
                    raise ConcurrencyConflict(change_id)
        else:
            async with translated(first):
                result = await self._conn.execute(statement, rows)
            if result.rowcount != len(rows):
                raise ConcurrencyConflict(first)
        writes = ChildWrites()
        for change, expected in saves:
            before = self._read.get(change.id)
            writes.add(change, before if before is not None and before.version == expected
                       else None)  # not what is stored: rewrite every child row
        await writes.write(self._conn, first)
        for change, _ in saves:
            await self._leases.follow(change)
            self._read[change.id] = change

    async def abandoned_applies(self) -> Sequence[str]:
        return await self._leases.abandoned()

    async def renew_apply_lease(self, change_id: str, key: str) -> timedelta | None:
        return await self._leases.renew(change_id, key)

    async def release_apply_lease(self, change_id: str, key: str) -> None:
        await self._leases.release(change_id, key)
