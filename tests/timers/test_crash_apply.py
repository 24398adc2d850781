"""Crash tests: a real ChangeGate process over SQLite is killed with SIGKILL at named points
(before the start commit, during the executor call, after it, after a delivery).

After each, a new process over the same file must leave state, audit and outbox all-or-nothing,
turn an interrupted apply into apply_unknown, and never apply anything twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.outbox.relay import Relay, Round
from bot.timers import DeadlineTimers
from storage.database import open_database
from storage.sql.audit_trail import AuditTrail
from storage.sql.engines import Database
from storage.sql.outbox import SqlOutboxQueue
from storage.sql.queries import Queries
from storage.sql.schema import outbox
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.executors.processes import finished
from tests.executors.programs import ledger_keys
from tests.support.clock import TestClock
from tests.support.databases import sqlite_url
from tests.support.reviews import approve_seen
from tests.support.world import World
from tests.timers.crash_child import crash_policy, engine_over, sink_writer
from workflow.errors import WrongState
from workflow.model import ApplyStatus, State

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0


async def approved_change(url: str, directory: Path) -> str:
    """A high-risk change, dry-run and approved by two seniors, committed to the file."""
    db = await open_database(url)
    try:
        world = World(uow=SqlUnitOfWorkFactory(db), clock=TestClock(datetime.now(UTC)))
        world.policy = crash_policy(directory)
        world.engine = world.new_engine()
        cr = await world.propose("high")
        await approve_seen(world.engine, cr.id, "n1")
        await approve_seen(world.engine, cr.id, "n2")
        return cr.id
    finally:
        await db.dispose()


@asynccontextmanager
async def child(url: str, directory: Path, change_id: str
                ) -> AsyncIterator[asyncio.subprocess.Process]:
    """The ChangeGate process; killed with SIGKILL on the way out if still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.timers.crash_child", url, str(directory), change_id,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), WAIT_S)
        assert line == b"applying\n", line
        yield process
    finally:
        if process.returncode is None:
            process.kill()  # SIGKILL
        await process.communicate()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll a real event (a file the device wrote, a process gone), for at most WAIT_S."""
    for _ in range(int(WAIT_S / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold SQLite's write lock, so the ChangeGate process cannot commit while it is held."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=WAIT_S)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@asynccontextmanager
async def restarted(url: str, directory: Path) -> AsyncIterator[tuple[Database, list[str]]]:
    """A new process's start-up over the same file: timers settle interrupted applies."""
    db = await open_database(url)
    try:
        engine = engine_over(SqlUnitOfWorkFactory(db), crash_policy(directory))
        timers = DeadlineTimers(engine, Queries(db), TestClock(datetime.now(UTC)))
        report = await timers.start(paused=True)
        await timers.stop()
        yield db, report.recovered
    finally:
        await db.dispose()


async def kinds(db: Database, change_id: str) -> list[str]:
    return [row.record["kind"] for row in await Queries(db).history(change_id)]


async def outbox_kinds(db: Database, change_id: str) -> list[str]:
    async with db.reader.connect() as conn:
        rows = (await conn.execute(select(outbox.c.payload).where(
            outbox.c.change_id == change_id).order_by(outbox.c.id))).all()
    return [row.payload["kind"] for row in rows]


async def check_all_or_nothing(db: Database, change_id: str) -> None:
    """Audit and outbox hold the same events in the same order, and the chain verifies."""
    assert await kinds(db, change_id) == await outbox_kinds(db, change_id)
    assert (await AuditTrail(db).verify()).ok


@pytest.fixture
def url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


async def test_killed_before_the_start_is_committed(url: str, tmp_path: Path) -> None:
    change_id = await approved_change(url, tmp_path)
    with write_lock(tmp_path / "changegate.db"):
        async with child(url, tmp_path, change_id) as process:
            process.kill()
    async with restarted(url, tmp_path) as (db, recovered):
        assert recovered == []
        cr = await engine_over(SqlUnitOfWorkFactory(db), crash_policy(tmp_path)).get(change_id)
        assert cr is not None and cr.state is State.APPROVED
        assert "apply_started" not in await kinds(db, change_id)
        await check_all_or_nothing(db, change_id)
        engine = engine_over(SqlUnitOfWorkFactory(db), crash_policy(tmp_path))
        assert (await engine.apply(change_id, "req")).state is State.APPLIED
    assert len(ledger_keys(tmp_path / "ledger")) == 1


async def test_killed_while_the_executor_runs(url: str, tmp_path: Path) -> None:
    change_id = await approved_change(url, tmp_path)
    (tmp_path / "behaviour").write_text("hang")
    pid_file = tmp_path / "pid"
    async with child(url, tmp_path, change_id) as process:
        await until(lambda: bool(ledger_keys(tmp_path / "ledger")) and pid_file.exists(),
                    "the device to start applying")
        process.kill()
    os.kill(int(pid_file.read_text()), signal.SIGKILL)  # the device outlives its parent
    await apply_unknown_and_never_again(url, tmp_path, change_id)


async def test_killed_after_the_executor_before_the_outcome_is_committed(
    url: str, tmp_path: Path
) -> None:
    change_id = await approved_change(url, tmp_path)
    (tmp_path / "behaviour").write_text("wait")
    pid_file = tmp_path / "pid"
    async with child(url, tmp_path, change_id) as process:
        await until(lambda: pid_file.exists() and bool(ledger_keys(tmp_path / "ledger")),
                    "the device to start applying")
        with write_lock(tmp_path / "changegate.db"):
            (tmp_path / "go").write_text("")
            await until(lambda: finished(int(pid_file.read_text())), "the device to finish")
            process.kill()
            await process.wait()
    await apply_unknown_and_never_again(url, tmp_path, change_id)


async def apply_unknown_and_never_again(url: str, directory: Path, change_id: str) -> None:
    """After the restart: apply_unknown, one apply in the device's ledger, none added."""
    (directory / "behaviour").write_text("ok")
    async with restarted(url, directory) as (db, recovered):
        assert recovered == [change_id]
        engine = engine_over(SqlUnitOfWorkFactory(db), crash_policy(directory))
        cr = await engine.get(change_id)
        assert cr is not None and cr.state is State.APPLY_UNKNOWN
        assert (await kinds(db, change_id))[-2:] == ["apply_started", "apply_unknown"]
        await check_all_or_nothing(db, change_id)
        with pytest.raises(WrongState):
            await engine.apply(change_id, "req")
        await engine.fire_deadline(change_id)
        assert await engine.recover_interrupted_applies() == []
        cr = await engine.resolve(change_id, "n1", ApplyStatus.APPLIED, "neighbor is up")
        assert cr.state is State.APPLIED
    assert ledger_keys(directory / "ledger") == [cr.apply_key()]


async def test_killed_after_a_delivery_before_it_is_marked(url: str, tmp_path: Path) -> None:
    """At least once from the relay, exactly once at a receiver that dedups by message id."""
    await approved_change(url, tmp_path)
    sink = tmp_path / "sink"
    async with child(url, tmp_path, "relay") as process:
        await until(sink.exists, "the first delivery")
        process.kill()
    db = await open_database(url)
    try:
        async with db.reader.connect() as conn:
            ids = list(await conn.scalars(select(outbox.c.id).order_by(outbox.c.id)))
        later = TestClock(datetime.now(UTC) + timedelta(minutes=5))  # the lease ran out
        relay = Relay(SqlOutboxQueue(db), later, {"change.event": sink_writer(sink)}, owner="new")
        while (await relay.run_once()).claimed:
            pass
        delivered = [int(line) for line in sink.read_text().split()]
        assert delivered == [ids[0], *ids]  # the interrupted one again, then the rest
        assert sorted(set(delivered)) == ids
        assert await relay.run_once() == Round()
        async with db.reader.connect() as conn:
            pending = await conn.scalar(select(func.count()).select_from(outbox).where(
                outbox.c.delivered_at.is_(None)))
        assert pending == 0
    finally:
        await db.dispose()
