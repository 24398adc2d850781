"""Who runs each started apply, on SQL: held in the start's transaction, renewed while the
executor runs, released when the outcome is recorded or will not be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.errors import translated
from storage.sql.schema import apply_leases as t
from storage.sql.schema import change_requests
from workflow.model import ChangeRequest, State


@dataclass(frozen=True, slots=True)
class Holder:
    """This process's name on its leases, and how long one lasts."""

    owner: str
    lease: timedelta


class SqlApplyLeases:
    """The apply_leases rows of one unit of work's transaction."""

    def __init__(self, conn: AsyncConnection, now: datetime, holder: Holder) -> None:
        self._conn = conn
        self._now = now
        self._holder = holder

    async def follow(self, change: ChangeRequest) -> None:
        """Hold the apply a save has just started; drop the lease once the apply has ended.

        Saving a change that is already executing (a comment, say) keeps the lease where it is.
        """
        if change.apply is None:
            return
        if change.state is not State.EXECUTING:
            async with translated(change.id):
                await self._conn.execute(delete(t).where(t.c.change_id == change.id))
            return
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        row = insert(t).values(change_id=change.id, apply_key=change.apply.key,
                               owner=self._holder.owner,
                               lease_until=self._now + self._holder.lease)
        row = row.on_conflict_do_update(
            index_elements=[t.c.change_id],
            set_={"apply_key": row.excluded.apply_key, "owner": row.excluded.owner,
                  "lease_until": row.excluded.lease_until},
            where=t.c.apply_key != row.excluded.apply_key,
        )
        async with translated(change.id):
            await self._conn.execute(row)

    async def renew(self, change_id: str, key: str) -> timedelta | None:
        """Extend this process's lease: how long it lasts now, None when it is not held."""
        async with translated(change_id):
            result = await self._conn.execute(
                update(t).where(self._mine(change_id, key))
                .values(lease_until=self._now + self._holder.lease))
        return self._holder.lease if result.rowcount == 1 else None

    async def release(self, change_id: str, key: str) -> None:
        """Give the apply up: its outcome will not be recorded by this process."""
        async with translated(change_id):
            await self._conn.execute(delete(t).where(self._mine(change_id, key)))

    async def abandoned(self) -> Sequence[str]:
        """Executing changes no live process holds: no lease, or one that has run out.

        SQLite is served by one process only, so a lease of any other holder is a dead one's.
        """
        gone = [t.c.change_id.is_(None), t.c.lease_until <= self._now]
        if self._conn.dialect.name == "sqlite":
            gone.append(t.c.owner != self._holder.owner)
        cr = change_requests
        query = (select(cr.c.id).select_from(cr.outerjoin(t, t.c.change_id == cr.c.id))
                 .where(cr.c.state == State.EXECUTING.value, or_(*gone))
                 .order_by(cr.c.number))
        async with translated():
            return list(await self._conn.scalars(query))

    def _mine(self, change_id: str, key: str) -> ColumnElement[bool]:
        return and_(t.c.change_id == change_id, t.c.apply_key == key,
                    t.c.owner == self._holder.owner)
