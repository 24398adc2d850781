"""create_database opens SQLite (creating file and directory) and PostgreSQL, or says why not."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import DatabaseError, create_database, redact_url
from storage.migrate import head_revision


async def test_sqlite_file_and_missing_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "changegate.db"

    await create_database(f"sqlite+aiosqlite:///{path}")

    assert path.is_file()


async def test_opening_twice_keeps_the_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'changegate.db'}"

    await create_database(url)
    await create_database(url)

    assert (tmp_path / "changegate.db").is_file()


async def test_unreachable_server_is_reported_without_the_password() -> None:
    with pytest.raises(DatabaseError) as caught:
        await create_database("postgresql+asyncpg://bot:s3cret@127.0.0.1:1/changegate")

    message = str(caught.value)
    assert message.startswith("cannot open database postgresql+asyncpg://bot:***@127.0.0.1:1/")
    assert "s3cret" not in message


async def test_a_synchronous_driver_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="async driver"):
        await create_database(f"sqlite:///{tmp_path / 'changegate.db'}")


def test_malformed_url_is_refused() -> None:
    with pytest.raises(DatabaseError, match="Could not parse"):
        redact_url("not a database url")


@pytest.mark.postgres
async def test_postgres_database_is_created_at_head() -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set (.ci/run sets it to the local PostgreSQL)")
    server = make_url(url)
    name = f"cg_create_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        fresh = server.set(database=name).render_as_string(hide_password=False)
        await create_database(fresh)
        checker = create_async_engine(fresh)
        try:
            async with checker.connect() as conn:
                version = (await conn.execute(text("SELECT version_num FROM alembic_version"))
                           ).scalar_one()
        finally:
            await checker.dispose()
        assert version == head_revision()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
