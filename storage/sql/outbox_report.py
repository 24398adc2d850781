"""What `changegate outbox` shows: the outbox by topic and state, and its dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.reads import TopicCounts
from storage.sql.api_reads import SqlApiReads
from storage.sql.engines import Database
from storage.sql.schema import outbox


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message given up on: what it was for and the last error."""

    id: int
    topic: str
    change_id: str | None
    attempts: int
    dead_at: datetime
    last_error: str
    subscription: str | None  # the subscription an event was for
    delivery_id: str | None


@dataclass(frozen=True, slots=True)
class OutboxReport:
    """Counts by topic, the oldest waiting message, and the newest dead letters."""

    topics: Mapping[str, TopicCounts]
    oldest_pending_at: datetime | None
    dead: list[DeadLetter]


async def outbox_report(db: Database, limit: int = 50) -> OutboxReport:
    """The report, with at most `limit` dead letters, newest first."""
    backlog = await SqlApiReads(db).backlog()
    async with db.read() as conn:
        rows = (await conn.execute(
            select(outbox.c.id, outbox.c.topic, outbox.c.change_id, outbox.c.attempts,
                   outbox.c.dead_at, outbox.c.last_error, outbox.c.payload)
            .where(outbox.c.dead_at.is_not(None)).order_by(outbox.c.id.desc()).limit(limit)
        )).all()
    return OutboxReport(backlog.topics, backlog.oldest_pending_at, [_dead(r) for r in rows])


def _dead(row: Any) -> DeadLetter:
    payload: Mapping[str, Any] = row.payload if isinstance(row.payload, dict) else {}
    target = payload.get("subscription")
    event = payload.get("event")
    change_id = row.change_id
    if change_id is None and isinstance(event, dict):
        change_id = event.get("change_id")
    return DeadLetter(int(row.id), str(row.topic), change_id, int(row.attempts), row.dead_at,
                      str(row.last_error or ""),
                      str(target["name"]) if isinstance(target, dict) else None,
                      str(payload["delivery_id"]) if "delivery_id" in payload else None)
