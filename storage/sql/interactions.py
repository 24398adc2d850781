"""Slack interactions seen, on SQL: the primary key makes one replica's first sight the only one.
Keys that arrive while a write is under way are inserted together in the next one, so a click
storm costs a few transactions, not one before every click's own decision."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.ports.interactions import Pruning
from storage.sql.engines import Database
from storage.sql.schema import slack_interactions as t

BATCH = 500  # keys in one statement at most (two parameters each)


class SqlInteractions:
    """The slack_interactions table of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pruning = Pruning()
        self._waiting: dict[str, tuple[datetime, list[asyncio.Future[bool]]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def first_sight(self, key: str, now: datetime) -> bool:
        """Insert the key unless it is there: a concurrent insert of the same key on PostgreSQL
        waits for the first to commit, then inserts nothing; the same key twice in one batch is
        new only for the first to ask."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, (now, []))[1].append(future)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_waiting())
        return await future

    async def _write_waiting(self) -> None:
        """Insert the waiting keys in batches until none is left, answering each asker."""
        while self._waiting:
            keys = list(self._waiting)[:BATCH]
            batch = {key: self._waiting.pop(key) for key in keys}
            try:
                inserted = await self._insert(batch)
            except Exception as exc:  # every asker of the batch hears the failure
                for _, futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for key, (_, futures) in batch.items():
                for n, future in enumerate(futures):
                    if not future.done():
                        future.set_result(n == 0 and key in inserted)

    async def _insert(self, batch: dict[str, tuple[datetime, list[asyncio.Future[bool]]]]
                      ) -> set[str]:
        """One transaction: prune if due, insert the keys not there yet; returns those."""
        cutoff = self._pruning.cutoff(max(now for now, _ in batch.values()))
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        statement = insert(t).values(
            [{"key": key, "seen_at": now} for key, (now, _) in batch.items()]
        ).on_conflict_do_nothing(index_elements=[t.c.key]).returning(t.c.key)
        async with self._db.write() as conn:
            if cutoff is not None:
                await conn.execute(delete(t).where(t.c.seen_at < cutoff))
            result = await conn.execute(statement)
            return {str(row.key) for row in result}
