"""The outbox on SQL: queued in the command's transaction, claimed by relays under leases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.outbox_rules import MAX_ATTEMPTS, SIBLINGS, Delivery, backoff
from storage.sql.engines import Database
from storage.sql.errors import translated
from storage.sql.projection import plain_json
from storage.sql.schema import outbox
from workflow.ports import OutboxMessage

CLAIM_LOCK_KEY = 0x4347_4F55_5442_4F58  # PostgreSQL advisory lock: one claim at a time


class SqlOutbox:
    """Messages written by a unit of work; they exist only if its commit does."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    async def put(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        rows = [
            {
                "topic": m.topic, "change_id": m.change_id, "payload": plain_json(dict(m.payload)),
                "created_at": self._now, "attempts": 0, "next_attempt_at": self._now,
            }
            for m in messages
        ]
        async with translated():
            await self._conn.execute(insert(outbox), rows)


class SqlOutboxQueue:
    """The relay's side: claim with a lease, then mark delivered or failed.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several replicas claim at once without ever
    taking the same row; on SQLite the writer's lock serialises claims. A relay that dies
    leaves a lease that simply runs out, and the row is claimed again.

    A change's messages are delivered by one relay at a time: a claim skips every change one
    of whose messages another relay holds, so two replicas never post the same card at once.
    Claims queue on an advisory lock on PostgreSQL to see each other's leases.
    """

    def __init__(self, db: Database, max_attempts: int = MAX_ATTEMPTS) -> None:
        self._db = db
        self._max_attempts = max_attempts

    async def claim(
        self, owner: str, limit: int, lease: timedelta, now: datetime
    ) -> list[Delivery]:
        """The `limit` oldest due messages and the later due messages of the same changes,
        leased to `owner` until `now + lease`, oldest first."""
        busy = outbox.alias("busy")
        held_elsewhere = exists().where(
            busy.c.change_id == outbox.c.change_id,
            busy.c.delivered_at.is_(None),
            busy.c.dead_at.is_(None),
            busy.c.lease_until > now,
            busy.c.lease_owner != owner,
        )
        ready = (
            outbox.c.delivered_at.is_(None),
            outbox.c.dead_at.is_(None),
            outbox.c.next_attempt_at <= now,
            (outbox.c.lease_until.is_(None)) | (outbox.c.lease_until <= now),
            ~held_elsewhere,
        )
        async with self._db.write() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": CLAIM_LOCK_KEY})
            oldest = (await conn.execute(
                select(outbox.c.id, outbox.c.change_id).where(*ready).order_by(outbox.c.id)
                .limit(limit).with_for_update(skip_locked=True)
            )).all()
            if not oldest:
                return []
            ids = [row.id for row in oldest]
            changes = {row.change_id for row in oldest if row.change_id is not None}
            if changes:  # the rest of their changes' queues, so a backlog is sent together
                ids += await conn.scalars(
                    select(outbox.c.id)
                    .where(*ready, outbox.c.change_id.in_(changes), outbox.c.id > ids[-1])
                    .order_by(outbox.c.id).limit(limit * SIBLINGS)
                    .with_for_update(skip_locked=True)
                )
            result = await conn.execute(
                update(outbox).where(outbox.c.id.in_(ids))
                .values(lease_owner=owner, lease_until=now + lease,
                        attempts=outbox.c.attempts + 1)
                .returning(outbox.c.id, outbox.c.topic, outbox.c.change_id, outbox.c.payload,
                           outbox.c.attempts)
            )
            claimed = [_delivery(r) for r in result]
        return sorted(claimed, key=lambda d: d.id)

    async def release(self, message_ids: Sequence[int], owner: str) -> None:
        """Hand back messages claimed but not attempted: claimable again at once, uncounted."""
        await self._still_leased(message_ids, owner, lease_owner=None, lease_until=None,
                                 attempts=outbox.c.attempts - 1)

    async def renew(self, message_ids: Sequence[int], owner: str, until: datetime) -> None:
        """Extend the lease of messages this owner is still delivering."""
        await self._still_leased(message_ids, owner, lease_until=until)

    async def _still_leased(self, message_ids: Sequence[int], owner: str, **values: Any) -> None:
        """Set `values` on those of the messages this owner still holds undelivered."""
        if not message_ids:
            return
        async with self._db.write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(message_ids)), outbox.c.lease_owner == owner,
                       outbox.c.delivered_at.is_(None))
                .values(**values)
            )

    async def mark_delivered(self, message_id: int, now: datetime) -> bool:
        """Delivered: never claimed again. False if it was already marked."""
        async with self._db.write() as conn:
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.id == message_id, outbox.c.delivered_at.is_(None))
                .values(delivered_at=now, lease_owner=None, lease_until=None, last_error=None)
            )
            return bool(result.rowcount == 1)

    async def mark_delivered_all(self, message_ids: Sequence[int], now: datetime) -> int:
        """Mark several delivered in one transaction; how many were not marked before."""
        async with self._db.write() as conn:
            result = await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(message_ids)), outbox.c.delivered_at.is_(None))
                .values(delivered_at=now, lease_owner=None, lease_until=None, last_error=None)
            )
            return int(result.rowcount)

    async def mark_failed(self, message_id: int, owner: str, error: str, now: datetime) -> bool:
        """Schedule a retry with exponential backoff; dead-letter after the last attempt.

        Returns True when the message was dead-lettered. A relay whose lease was taken over
        changes nothing.
        """
        async with self._db.write() as conn:
            attempts = await conn.scalar(
                select(outbox.c.attempts).where(
                    outbox.c.id == message_id,
                    outbox.c.lease_owner == owner,
                    outbox.c.delivered_at.is_(None),
                    outbox.c.dead_at.is_(None),
                ).with_for_update()
            )
            if attempts is None:
                return False
            dead = int(attempts) >= self._max_attempts
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == message_id)
                .values(
                    lease_owner=None, lease_until=None, last_error=error,
                    next_attempt_at=now + backoff(attempts),
                    dead_at=now if dead else None,
                )
            )
            return dead

    async def dead_letters(self, limit: int = 100) -> list[Delivery]:
        """Messages that will not be retried, for an operator to look at."""
        async with self._db.read() as conn:
            result = await conn.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.change_id, outbox.c.payload,
                       outbox.c.attempts)
                .where(outbox.c.dead_at.is_not(None)).order_by(outbox.c.id).limit(limit)
            )
            return [_delivery(r) for r in result]


def _delivery(row: Any) -> Delivery:
    return Delivery(int(row.id), str(row.topic), row.change_id, row.payload, int(row.attempts))
