"""A database's own identity: a random id recorded among its facts the first time it is asked
for, so that what is kept outside the database (the sandbox's workspace file) can tell whether it
still belongs to it, or the database was deleted and created again since."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.sql.engines import Database
from storage.sql.schema import database_facts as t

DATABASE_ID = "database_id"


async def database_id(db: Database) -> str:
    """This database's id: the one recorded, or a new one recorded now."""
    insert = (pg_insert if db.dialect == "postgresql" else sqlite_insert)(t).values(
        name=DATABASE_ID, value=uuid.uuid4().hex).on_conflict_do_nothing(
        index_elements=[t.c.name])
    async with db.write() as conn:
        await conn.execute(insert)
        found = (await conn.execute(select(t.c.value).where(t.c.name == DATABASE_ID))
                 ).scalar_one()
    return str(found)
