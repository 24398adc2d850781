"""Reading the stored audit chain: verify it end to end, or page through it for export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from storage.audit_chain import AuditRow, ChainCheck, VerifyResult
from storage.sql.engines import Database
from storage.sql.schema import audit_events

BATCH = 1000
COLUMNS = ("change_id", "kind", "actor")


def to_audit_row(row: Row[Any]) -> AuditRow:
    """A stored row as the chain sees it."""
    return AuditRow(row.seq, row.prev_hash, row.hash, row.record)


def column_mismatch(row: Row[Any]) -> str | None:
    """Which indexed column disagrees with the hashed record, if any.

    The chain hashes only `record`; the columns beside it serve queries, so an edit of a column
    alone must be caught too.
    """
    record = row.record
    for name in COLUMNS:
        if getattr(row, name) != record.get(name):
            return f"column {name} does not match the hashed record"
    recorded_at = record.get("at")
    if not isinstance(recorded_at, str) or datetime.fromisoformat(recorded_at) != row.at:
        return "column at does not match the hashed record"
    return None


class AuditTrail:
    """The audit chain as stored, read on the reader engine in sequence order."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def stored(
        self, *, since: datetime | None = None, change_id: str | None = None, batch: int = BATCH
    ) -> AsyncIterator[Row[Any]]:
        """Stored rows oldest first, fetched a batch at a time by sequence number."""
        after = 0
        while True:
            query = select(audit_events).where(audit_events.c.seq > after)
            if since is not None:
                query = query.where(audit_events.c.at >= since)
            if change_id is not None:
                query = query.where(audit_events.c.change_id == change_id)
            async with self._db.read() as conn:
                rows = (await conn.execute(query.order_by(audit_events.c.seq).limit(batch))).all()
            for row in rows:
                yield row
            if len(rows) < batch:
                return
            after = rows[-1].seq

    async def rows(
        self, *, since: datetime | None = None, change_id: str | None = None
    ) -> AsyncIterator[AuditRow]:
        """Chain rows, optionally only those at or after `since` and of one change."""
        async for row in self.stored(since=since, change_id=change_id):
            yield to_audit_row(row)

    async def verify(self) -> VerifyResult:
        """Walk the whole chain and name the first row whose link, hash or columns are wrong."""
        check = ChainCheck()
        async for row in self.stored():
            if not check.feed(to_audit_row(row)):
                return check.result()
            problem = column_mismatch(row)
            if problem is not None:
                return VerifyResult(False, check.rows, row.seq, problem)
        return check.result()

    async def row(self, seq: int) -> AuditRow | None:
        """The row at `seq`, if it is stored: what a checkpoint of it is compared with."""
        async with self._db.read() as conn:
            found = (
                await conn.execute(select(audit_events).where(audit_events.c.seq == seq))
            ).first()
        return to_audit_row(found) if found is not None else None

    async def head(self) -> AuditRow | None:
        """The newest row: its hash, shown outside the database, anchors everything before it."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(audit_events).order_by(audit_events.c.seq.desc()).limit(1)
                )
            ).first()
        return to_audit_row(row) if row is not None else None
