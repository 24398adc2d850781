"""Fresh, migrated databases for tests: a SQLite file in a temporary directory, or a PostgreSQL
schema of its own in the TEST_DATABASE_URL database (dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.migrate import upgrade, upgrade_on
from storage.sql.engines import Database, open_engines
from storage.sql.schema import audit_events, outbox
from workflow.ports import OutboxMessage

POSTGRES_SKIP = "TEST_DATABASE_URL is not set (.ci/run sets it to the local PostgreSQL)"
SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def postgres_url() -> str:
    """The server the postgres tests run on; skips the test when none is configured."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        pytest.skip(POSTGRES_SKIP)
    return url


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'changegate.db'}"


@asynccontextmanager
async def sqlite_database(directory: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file (never :memory:, which async access cannot share)."""
    url = sqlite_url(directory)
    await upgrade(url)
    db = open_engines(url)
    try:
        yield db
    finally:
        await db.dispose()


@dataclass(frozen=True)
class Schema:
    """A PostgreSQL schema of the test server; `engine()` opens engines that use it."""

    url: str
    name: str

    def engine(self) -> AsyncEngine:
        return create_async_engine(
            self.url, connect_args={"server_settings": {"search_path": self.name}}
        )


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[Schema]:
    """An empty schema of its own, so concurrent test runs on one server never meet; it and
    everything in it is dropped afterwards."""
    url = postgres_url()
    schema = Schema(url, f"cg_test_{uuid.uuid4().hex[:12]}")
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema.name}"'))
        try:
            yield schema
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema.name}" CASCADE'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[Database]:
    """A migrated schema of its own on the TEST_DATABASE_URL server."""
    async with postgres_schema() as schema:
        engine = schema.engine()
        try:
            await upgrade_on(engine)
            yield Database(engine.url, engine, engine)
        finally:
            await engine.dispose()


@asynccontextmanager
async def fresh_database(kind: str, directory: Path) -> AsyncIterator[Database]:
    """A migrated, empty database of `kind` (`sqlite` or `postgres`)."""
    opened = sqlite_database(directory) if kind == "sqlite" else postgres_database()
    async with opened as db:
        yield db


async def tamper_audit(db: Database, seq: int, actor: str) -> None:
    """What an attacker with database access does: drop the guard, then edit a hashed record."""
    async with db.writer.begin() as conn:
        if db.dialect == "sqlite":
            await conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        else:
            await conn.execute(
                text("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
            )
        record = (
            await conn.execute(
                audit_events.select().where(audit_events.c.seq == seq)
            )
        ).one().record
        await conn.execute(
            update(audit_events)
            .where(audit_events.c.seq == seq)
            .values(record={**record, "actor": actor})
        )


async def outbox_messages(db: Database) -> list[OutboxMessage]:
    """Every stored outbox message, oldest first, as the unit of work put it."""
    async with db.reader.connect() as conn:
        rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).all()
    return [OutboxMessage(r.topic, r.change_id, r.payload) for r in rows]
