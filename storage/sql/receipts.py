"""Gesture keys written in the deciding transaction, into the table replayed Slack requests are
checked against: on PostgreSQL a second replica inserting the same key waits for the first to
commit, then inserts nothing and hears it was a replay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.sql.schema import slack_interactions as t


class SqlReceipts:
    """slack_interactions, inside one unit of work: a group's keys in one statement."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def take_all(self, keys: Sequence[str], at: datetime) -> set[str]:
        if not keys:
            return set()
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        rows = [{"key": key, "seen_at": at} for key in dict.fromkeys(keys)]
        statement = insert(t).values(rows).on_conflict_do_nothing(
            index_elements=[t.c.key]).returning(t.c.key)
        return {str(key) for key in (await self._conn.execute(statement)).scalars()}
