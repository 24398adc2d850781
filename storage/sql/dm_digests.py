"""Approvers' DM digests on SQL: one row per person, so a digest is updated in place across
restarts, and the first replica to post one is the one every replica keeps updating."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.ports.dm_digests import DmDigest
from storage.sql.engines import Database
from storage.sql.schema import slack_dm_digests as t

BATCH = 500  # people in one query at most
COLUMNS = (t.c.person, t.c.channel, t.c.ts, t.c.rendered)


class SqlDmDigests:
    """The slack_dm_digests table of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def digests(self, people: Collection[str]) -> Sequence[DmDigest]:
        wanted = sorted(set(people))
        found: list[DmDigest] = []
        async with self._db.read() as conn:
            for start in range(0, len(wanted), BATCH):
                query = (select(*COLUMNS).where(t.c.person.in_(wanted[start:start + BATCH]))
                         .order_by(t.c.person))
                found += [DmDigest(*row) for row in (await conn.execute(query)).all()]
        return found

    async def claim(self, digest: DmDigest) -> DmDigest:
        """Insert unless the person has a row; then read the row kept, in the same transaction
        (on PostgreSQL a concurrent claim waits for the first to commit, then inserts nothing)."""
        insert = (pg_insert if self._db.dialect == "postgresql" else sqlite_insert)(t).values(
            person=digest.person, channel=digest.channel, ts=digest.ts, rendered=digest.rendered,
        ).on_conflict_do_nothing(index_elements=[t.c.person])
        async with self._db.write() as conn:
            await conn.execute(insert)
            row = (await conn.execute(select(*COLUMNS).where(t.c.person == digest.person))).one()
        return DmDigest(*row)

    async def save(self, digest: DmDigest) -> None:
        upsert = (pg_insert if self._db.dialect == "postgresql" else sqlite_insert)(t).values(
            person=digest.person, channel=digest.channel, ts=digest.ts, rendered=digest.rendered,
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[t.c.person],
            set_={"channel": upsert.excluded.channel, "ts": upsert.excluded.ts,
                  "rendered": upsert.excluded.rendered},
        )
        async with self._db.write() as conn:
            await conn.execute(upsert)
