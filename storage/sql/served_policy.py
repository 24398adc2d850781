"""Which policy file a database is served with, so that two ways of running (the sandbox and a
real policy) notice when they share one database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.sql.engines import Database
from storage.sql.schema import database_facts as t

SERVED_POLICY = "served_policy"


async def serve_policy(db: Database, policy: str) -> str | None:
    """Record `policy` as the one this database serves; return the one it served before when
    that was another (None the first time and when it is the same)."""
    upsert = (pg_insert if db.dialect == "postgresql" else sqlite_insert)(t).values(
        name=SERVED_POLICY, value=policy)
    upsert = upsert.on_conflict_do_update(index_elements=[t.c.name],
                                          set_={"value": upsert.excluded.value})
    async with db.write() as conn:
        before = (await conn.execute(
            select(t.c.value).where(t.c.name == SERVED_POLICY))).scalar_one_or_none()
        await conn.execute(upsert)
    return before if before not in (None, policy) else None
