"""The audit chain on SQL: appended in the command's transaction, one writer at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.audit_chain import GENESIS, chain_hash
from storage.sql.errors import UniqueViolation, translated
from storage.sql.projection import Row, plain_json
from storage.sql.schema import audit_events
from workflow.codec import event_to_dict
from workflow.errors import ConcurrencyConflict
from workflow.events import Event

# Key of the transaction-scoped advisory lock that orders appends on PostgreSQL ("CGAUDIT").
AUDIT_LOCK_KEY = 0x4347_4155_4449_54


class SqlAudit:
    """Chains events onto the stored head inside the unit of work's transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, events: Sequence[Event]) -> list[int]:
        """Chain the events onto the head; the seq each was given (valid once committed)."""
        if not events:
            return []
        async with translated():
            await self._lock_head()
            head = (
                await self._conn.execute(
                    select(audit_events.c.seq, audit_events.c.hash)
                    .order_by(audit_events.c.seq.desc())
                    .limit(1)
                )
            ).first()
        seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
        rows: list[Row] = []
        for event in events:
            record = plain_json(event_to_dict(event))
            seq += 1
            digest = chain_hash(prev, record)
            rows.append({
                "seq": seq, "prev_hash": prev, "hash": digest, "change_id": event.change_id,
                "kind": event.kind.value, "actor": event.actor, "at": event.at, "record": record,
            })
            prev = digest
        try:
            async with translated():
                await self._conn.execute(insert(audit_events), rows)
        except UniqueViolation:  # a concurrent append took this head: decide again
            raise ConcurrencyConflict("audit chain") from None
        return [int(row["seq"]) for row in rows]

    async def _lock_head(self) -> None:
        """Serialise appends until commit.

        On SQLite the writer transaction already holds the database's one write lock. On
        PostgreSQL, under READ COMMITTED, two transactions could read the same head; UNIQUE
        (prev_hash) would then fail the second, which is correct but turns every pair of
        concurrent commands on different changes into a retry. A transaction-scoped advisory
        lock taken just before reading the head makes them queue instead, for only the short
        tail of the transaction (audit, outbox, commit); the lock is released at commit, after
        the new head is visible, so the next holder reads it.
        """
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY}
            )
