"""SQLite done right: WAL, FULL sync, BEGIN IMMEDIATE on one writer, and no "database is locked"."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sql import engines
from storage.sql.engines import Database, UnsupportedDatabase, open_engines
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import sqlite_database
from tests.support.reviews import approve_seen
from tests.support.samples import change
from tests.support.world import World
from workflow.errors import Busy
from workflow.model import State
from workflow.seen import Seen


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path) as opened:
        yield opened


def other_process(tmp_path: Path) -> sqlite3.Connection:
    """A second writer, as another process would open the file (no waiting on the lock)."""
    return sqlite3.connect(tmp_path / "changegate.db", timeout=0, isolation_level=None)


async def test_every_connection_is_configured(db: Database) -> None:
    async with db.writer.connect() as conn:
        pragmas = {
            name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                       "busy_timeout": engines.BUSY_TIMEOUT_MS}
    async with db.reader.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA query_only")).scalar() == 1
    assert db.writer.pool.size() == 1  # type: ignore[attr-defined]


async def test_a_unit_of_work_holds_the_write_lock_from_its_first_statement(
    db: Database, tmp_path: Path
) -> None:
    other = other_process(tmp_path)
    try:
        async with SqlUnitOfWorkFactory(db)():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_readers_are_not_blocked_by_an_open_write(db: Database) -> None:
    async with SqlUnitOfWorkFactory(db)() as uow:
        await uow.changes.add(change("CHG-1"))
        async with db.reader.connect() as conn:
            assert (await conn.exec_driver_sql("SELECT count(*) FROM change_requests")
                    ).scalar() == 0
        await uow.commit()


async def test_a_writer_waits_for_another_process_instead_of_failing(
    db: Database, tmp_path: Path
) -> None:
    other = other_process(tmp_path)
    other.execute("BEGIN IMMEDIATE")
    release = asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    try:
        async with SqlUnitOfWorkFactory(db)() as uow:
            await uow.changes.add(change("CHG-1"))
            await uow.commit()
    finally:
        release.cancel()
        other.close()


async def test_a_lock_held_too_long_is_busy_never_database_is_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "BUSY_TIMEOUT_MS", 20)
    async with sqlite_database(tmp_path) as db:
        world = World(uow=SqlUnitOfWorkFactory(db))
        cr = await world.propose("high")
        other = other_process(tmp_path)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(Busy, match="try again"):
                await world.engine.approve(cr.id, "n1", Seen.of(cr))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert (await approve_seen(world.engine, cr.id, "n1")).state is State.PENDING_REVIEW


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(UnsupportedDatabase, match="name a file"):
        open_engines("sqlite+aiosqlite:///:memory:")


async def test_the_writer_is_handed_out_in_arrival_order(db: Database) -> None:
    """A task that writes in a loop must not starve one that asked for the writer meanwhile
    (the pool alone let the looping task take the connection straight back)."""
    order: list[str] = []
    first_done = asyncio.Event()

    async def looping() -> None:
        for n in range(20):
            async with db.write() as conn:
                await conn.exec_driver_sql("SELECT 1")
            order.append(f"loop{n}")
            first_done.set()

    async def once() -> None:
        await first_done.wait()
        async with db.write() as conn:
            await conn.exec_driver_sql("SELECT 1")
        order.append("once")

    await asyncio.gather(looping(), once())
    assert order.index("once") <= 3
