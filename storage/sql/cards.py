"""Slack card references on SQL: one row per posted copy, replaced when the copy is re-rendered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.sql.engines import Database
from storage.sql.schema import slack_cards as t


@dataclass(frozen=True, slots=True)
class StoredCard:
    """One copy of a card as stored; the Slack side maps `audience` to its own type."""

    change_id: str
    channel: str
    ts: str
    audience: str
    rendered: str


class SqlCards:
    """The slack_cards table of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def cards(self, change_id: str) -> Sequence[StoredCard]:
        """Every copy of the change's card, in the order they were posted."""
        query = (select(t.c.change_id, t.c.channel, t.c.ts, t.c.audience, t.c.rendered)
                 .where(t.c.change_id == change_id).order_by(t.c.posted_at, t.c.ts))
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [StoredCard(*row) for row in rows]

    async def save(self, card: StoredCard, now: datetime) -> None:
        """Insert or replace the copy at (channel, ts), keeping when it was first posted."""
        upsert = (pg_insert if self._db.dialect == "postgresql" else sqlite_insert)(t).values(
            change_id=card.change_id, channel=card.channel, ts=card.ts,
            audience=card.audience, rendered=card.rendered, posted_at=now,
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[t.c.channel, t.c.ts],
            set_={"audience": upsert.excluded.audience, "rendered": upsert.excluded.rendered},
        )
        async with self._db.write() as conn:
            await conn.execute(upsert)
