"""Alembic is the only schema path; its scripts are found inside the package, installed or not."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sql.engines import sqlite_writer

MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | URL | None = None) -> Config:
    """Configuration of the migration scripts, without any alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    if url is not None:
        rendered = make_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision this version of the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migration_engine(url: str | URL) -> AsyncEngine:
    """On SQLite the writer recipe, so the whole upgrade is one BEGIN IMMEDIATE transaction."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_writer(parsed)
    return create_async_engine(parsed)


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest) in one transaction.

    Alembic keeps its context in a global, so one process runs one upgrade at a time; separate
    processes (replicas starting together) queue on a lock, see migrations/env.py.
    """
    engine = migration_engine(url)
    try:
        await upgrade_on(engine, revision)
    finally:
        await engine.dispose()


async def upgrade_on(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade through an engine the caller configured (and disposes of)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def current_revision(url: str | URL) -> str | None:
    """The revision the database is at; None when it has never been migrated."""
    engine = migration_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
