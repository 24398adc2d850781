"""Alembic is the schema path: `upgrade head` on an empty database gives exactly the models."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.database import DatabaseError, create_database
from storage.migrate import current_revision, head_revision
from storage.sql.schema import metadata
from tests.support.databases import SQL_BACKENDS, fresh_database, postgres_schema, sqlite_url

ROOT = Path(__file__).resolve().parents[2]


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "target_metadata": metadata}
    )
    return list(compare_metadata(context, metadata))


def triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
               "AND tgrelid = 'audit_events'::regclass")
    return {row[0] for row in connection.exec_driver_sql(sql)}


@pytest.mark.parametrize("kind", SQL_BACKENDS)
async def test_upgrade_head_matches_the_models(kind: str, tmp_path: Path) -> None:
    async with fresh_database(kind, tmp_path) as db, db.writer.connect() as conn:
        assert await conn.run_sync(differences) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables == set(metadata.tables) | {"alembic_version"}
        assert len(await conn.run_sync(triggers)) >= 2


async def test_create_database_migrates_to_head_and_is_idempotent(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    assert await current_revision(url) is None
    await create_database(url)
    await create_database(url)
    assert await current_revision(url) == head_revision()


async def test_a_database_from_a_newer_version_is_refused_with_a_reason(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    await create_database(url)
    raw = sqlite3.connect(tmp_path / "changegate.db")
    with raw:
        raw.execute("UPDATE alembic_version SET version_num = 'f00d'")
    raw.close()
    with pytest.raises(DatabaseError, match=r"cannot migrate database .*f00d"):
        await create_database(url)


REPLICA = """
import asyncio, sys
from storage.migrate import upgrade_on
from tests.support.databases import Schema

async def main() -> None:
    engine = Schema(sys.argv[1], sys.argv[2]).engine()
    try:
        await upgrade_on(engine)
    finally:
        await engine.dispose()

asyncio.run(main())
"""


@pytest.mark.postgres
async def test_replicas_starting_together_migrate_once() -> None:
    async with postgres_schema() as schema:
        replicas = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", REPLICA, schema.url, schema.name, cwd=ROOT,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(3)
        ]
        for replica in replicas:
            _, err = await replica.communicate()
            assert replica.returncode == 0, err.decode()
        engine = schema.engine()
        try:
            async with engine.connect() as conn:
                assert await conn.run_sync(differences) == []
                revision = await conn.run_sync(
                    lambda c: MigrationContext.configure(c).get_current_revision()
                )
            assert revision == head_revision()
        finally:
            await engine.dispose()
