"""Alembic environment: runs on a connection handed in by `storage.migrate`, or opens its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sql.engines import sqlite_writer
from storage.sql.schema import metadata

# Replicas starting together on PostgreSQL queue here instead of racing to create tables.
MIGRATION_LOCK_KEY = 0x4347_4D49_4752_4154


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = context.config.get_main_option("sqlalchemy.url") or ""
    context.configure(
        url=url,
        literal_binds=True,
        target_metadata=metadata,
        render_as_batch=make_url(url).get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    """Every pending revision in one transaction (DDL is transactional on both databases)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it; batch mode writes future migrations that way.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def run_online() -> None:
    """Open an engine from the configured URL (the `alembic` command line)."""
    url = make_url(context.config.get_main_option("sqlalchemy.url") or "")
    engine: AsyncEngine = (
        sqlite_writer(url) if url.get_backend_name() == "sqlite" else create_async_engine(url)
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif isinstance(given := context.config.attributes.get("connection"), Connection):
    run_on(given)
else:
    asyncio.run(run_online())
