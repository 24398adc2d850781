"""Engines of one database: on SQLite a one-connection writer that locks at BEGIN, and readers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storage.sql.errors import translated

BUSY_TIMEOUT_MS = 10_000  # another process holding the write lock is waited for this long
WRITER_WAIT_S = 30.0  # a unit of work waits this long for the one writer connection
READERS = 4


class UnsupportedDatabase(ValueError):
    """The URL names a database the adapters cannot run on safely; the message says which."""


@dataclass(frozen=True, slots=True)
class Database:
    """The engines of one database; on PostgreSQL writer and reader are the same pool."""

    url: URL
    writer: AsyncEngine
    reader: AsyncEngine
    # SQLite's one writer connection is handed out in arrival order: the pool lets a task that
    # just gave it back take it again at once, which starved the outbox relay in a click storm.
    turns: asyncio.Lock | None = field(default=None, compare=False)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this process's turn at the writer (at once on PostgreSQL)."""
        if self.turns is None:
            yield
            return
        try:
            async with asyncio.timeout(WRITER_WAIT_S):
                await self.turns.acquire()
        except TimeoutError:
            raise PoolTimeout(f"no turn at the writer within {WRITER_WAIT_S:g} s") from None
        try:
            yield
        finally:
            self.turns.release()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction, committed when the block ends without an error."""
        async with translated(), self.turn(), self.writer.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A reader connection; a database failure leaves it as StorageError."""
        async with translated(), self.reader.connect() as conn:
            yield conn

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.writer.dialect.name

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def open_engines(url: str | URL, *, readers: int = READERS) -> Database:
    """Engines for `url`; nothing connects until first use."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise UnsupportedDatabase(
                "an in-memory SQLite database cannot be shared by a writer and readers: "
                "name a file, e.g. sqlite+aiosqlite:///changegate.db"
            )
        return Database(parsed, sqlite_writer(parsed), _sqlite_reader(parsed, readers),
                        asyncio.Lock())
    if backend == "postgresql":
        engine = create_async_engine(parsed, pool_pre_ping=True)
        return Database(parsed, engine, engine)
    raise UnsupportedDatabase(f"unsupported database {backend}: use sqlite+aiosqlite or "
                              "postgresql+asyncpg")


def sqlite_writer(url: URL) -> AsyncEngine:
    """Exactly one connection, and every transaction starts with BEGIN IMMEDIATE.

    A deferred BEGIN that reads and then writes fails at once with "database is locked" when
    another writer got there first, ignoring busy_timeout; IMMEDIATE takes the write lock up
    front, so a second process waits for it instead.
    """
    engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=WRITER_WAIT_S)
    _on_connect(engine, write=True)
    _on_begin(engine, "BEGIN IMMEDIATE")
    return engine


def _sqlite_reader(url: URL, readers: int) -> AsyncEngine:
    """Readers see a consistent WAL snapshot per transaction and never write."""
    engine = create_async_engine(url, pool_size=readers, max_overflow=0)
    _on_connect(engine, write=False)
    _on_begin(engine, "BEGIN")
    return engine


def _on_connect(engine: AsyncEngine, *, write: bool) -> None:
    """Per-connection settings; the driver's own BEGIN is disabled so ours is the only one."""

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        pragmas = [
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = FULL",
        ]
        if write:
            pragmas.insert(0, "PRAGMA journal_mode = WAL")
        else:
            pragmas.append("PRAGMA query_only = ON")
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()


def _on_begin(engine: AsyncEngine, statement: str) -> None:
    @event.listens_for(engine.sync_engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql(statement)
