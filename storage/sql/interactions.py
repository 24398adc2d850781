"""Slack interactions seen, on SQL: the primary key makes one replica's first sight the only one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.ports.interactions import Pruning
from storage.sql.engines import Database
from storage.sql.schema import slack_interactions as t


class SqlInteractions:
    """The slack_interactions table of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pruning = Pruning()

    async def first_sight(self, key: str, now: datetime) -> bool:
        """Insert the key unless it is there: a concurrent insert of the same key on PostgreSQL
        waits for the first to commit, then inserts nothing."""
        cutoff = self._pruning.cutoff(now)
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        statement = insert(t).values(key=key, seen_at=now).on_conflict_do_nothing(
            index_elements=[t.c.key])
        async with self._db.write() as conn:
            if cutoff is not None:
                await conn.execute(delete(t).where(t.c.seen_at < cutoff))
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)
