"""What the REST API reads, on the reader engine: pages of changes, audit rows, counts, health."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from storage.audit_chain import AuditRow, VerifyResult
from storage.reads import Backlog, ChangeFilter, ChangePage, TopicCounts
from storage.sql.audit_trail import AuditTrail, to_audit_row
from storage.sql.engines import Database
from storage.sql.queries import (
    approved_by_conditions,
    awaiting_conditions,
    needs_action_conditions,
)
from storage.sql.schema import (
    audit_events,
    change_requests,
    outbox,
)
from workflow.codec import change_from_dict
from workflow.model import ChangeRequest

cr = change_requests


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


class SqlApiReads:
    """Read queries of the API; none takes the writer's lock."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._trail = AuditTrail(db)

    async def get(self, change_id: str) -> ChangeRequest | None:
        """One change as committed."""
        data = await self._scalar(select(cr.c.data).where(cr.c.id == change_id))
        return change_from_dict(data) if data is not None else None

    async def changes(self, where: ChangeFilter, before: int | None, limit: int) -> ChangePage:
        """Changes meeting `where`, newest first, numbered below `before`."""
        query = select(cr.c.number, cr.c.data).order_by(cr.c.number.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(cr.c.number < before)
        if where.states:
            query = query.where(cr.c.state.in_(sorted(s.value for s in where.states)))
        if where.requester is not None:
            query = query.where(cr.c.requester == where.requester)
        if where.awaiting is not None:
            query = query.where(*awaiting_conditions(where.awaiting, where.awaiting_groups))
        if where.approved_by is not None:
            query = query.where(*approved_by_conditions(where.approved_by))
        if where.needs_action is not None:
            query = query.where(*needs_action_conditions(where.needs_action,
                                                         where.needs_action_since))
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return ChangePage([change_from_dict(r.data) for r in rows],
                          rows[-1].number if more else None)

    async def history(self, change_id: str) -> list[AuditRow]:
        """Every audit event of one change, oldest first."""
        return await self.audit(change_id=change_id, after=0, limit=None)

    async def audit(
        self, *, since: datetime | None = None, change_id: str | None = None, after: int = 0,
        limit: int | None = 500, kinds: Collection[str] = (),
    ) -> list[AuditRow]:
        """Audit rows after sequence number `after`, oldest first."""
        query = select(audit_events).where(audit_events.c.seq > after)
        if since is not None:
            query = query.where(audit_events.c.at >= since)
        if change_id is not None:
            query = query.where(audit_events.c.change_id == change_id)
        if kinds:
            query = query.where(audit_events.c.kind.in_(sorted(kinds)))
        query = query.order_by(audit_events.c.seq)
        if limit is not None:
            query = query.limit(limit)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [to_audit_row(row) for row in rows]

    async def verify(self) -> VerifyResult:
        """Walk the whole chain (columns beside the hashed record included)."""
        return await self._trail.verify()

    async def head(self) -> AuditRow | None:
        """The newest audit row."""
        return await self._trail.head()

    async def count_by_state(self) -> dict[str, int]:
        """How many changes are in each state."""
        async with self._db.read() as conn:
            rows = (await conn.execute(
                select(cr.c.state, func.count()).group_by(cr.c.state)
            )).all()
        return {str(state): int(count) for state, count in rows}

    async def backlog(self) -> Backlog:
        """Outbox messages waiting for delivery, dead letters, and the oldest waiting one."""
        pending = outbox.c.delivered_at.is_(None) & outbox.c.dead_at.is_(None)
        async with self._db.read() as conn:
            waiting, oldest = (await conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(pending)
            )).one()
            dead = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.dead_at.is_not(None))
            )
            by_topic = (await conn.execute(
                select(outbox.c.topic,
                       func.count().filter(pending),
                       func.count().filter(outbox.c.delivered_at.is_not(None)),
                       func.count().filter(outbox.c.dead_at.is_not(None)))
                .group_by(outbox.c.topic)
            )).all()
        topics = {str(topic): TopicCounts(int(p), int(d), int(x))
                  for topic, p, d, x in by_topic}
        return Backlog(int(waiting), int(dead or 0), oldest, topics)

    async def schema_revision(self) -> str | None:
        """The migration the database is at; raises when the database cannot be reached."""
        async with self._db.read() as conn:
            return await conn.run_sync(_revision)

    async def _scalar(self, query: Select[Any]) -> Any:
        async with self._db.read() as conn:
            return await conn.scalar(query)
