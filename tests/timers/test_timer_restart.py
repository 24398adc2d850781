"""Timers survive a restart: a new engine over the same SQLite file re-arms every deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.timers import DeadlineTimers
from storage.database import open_database
from storage.memory.store import MemoryQueries, MemoryUnitOfWorkFactory
from storage.sql.queries import Queries
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.clock import TestClock
from tests.support.databases import sqlite_url
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.model import ChangeRequest, State


async def test_a_restart_rearms_every_deadline_fires_due_ones_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    db = await open_database(url)
    try:
        before = World(uow=SqlUnitOfWorkFactory(db))
        start = before.clock.now()
        waiting = await before.propose("high")  # reminder due at 4h
        scheduled = await before.propose("high", scheduled_for=start + timedelta(hours=1))
        await approve_seen(before.engine, scheduled.id, "n1")
        await approve_seen(before.engine, scheduled.id, "n2")
        later = await before.propose("medium")
        manual = await before.propose("medium")
        await approve_seen(before.engine, manual.id, "e1")  # approved, no deadline left
    finally:
        await db.dispose()

    before.clock.advance(hours=5)  # the process was down for five hours
    db = await open_database(url)
    try:
        after = World(uow=SqlUnitOfWorkFactory(db), clock=before.clock)
        after.executor = before.executor
        after.engine = after.new_engine()
        timers = DeadlineTimers(after.engine, Queries(db), after.clock)
        report = await timers.start(paused=True)
        try:
            assert report.recovered == [] and report.armed == 3
            armed = timers.armed()
            assert set(armed) == {waiting.id, scheduled.id, later.id}
            assert armed[scheduled.id] == start + timedelta(hours=1)
            assert sorted(await timers.sweep()) == sorted([waiting.id, scheduled.id, later.id])
            assert await timers.sweep() == []  # none twice
            # Due 1 h after start with 15 min grace, found 5 h later: the window was missed,
            # so it is never applied late; it ends as on_timeout says and the audit says why.
            missed = await after.get(scheduled.id)
            assert missed.state is State.EXPIRED
            assert after.executor.applies == []
            history = [row.record["kind"] for row in await Queries(db).history(scheduled.id)]
            assert history[-2:] == ["apply_window_missed", "expired"]
            reminded = await after.get(waiting.id)
            assert reminded.reminders_sent == 1
            assert timers.armed()[waiting.id] == after.clock.now() + timedelta(hours=4)
            assert (await after.get(manual.id)).state is State.APPROVED
        finally:
            await timers.stop()
    finally:
        await db.dispose()


async def test_start_up_settles_applies_a_crash_interrupted() -> None:
    world = World()
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.executor.result = None  # the apply starts, then the process "stops"
    cr = await world.engine.apply(cr.id, "req")
    assert cr.state is State.EXECUTING
    assert isinstance(world.uow, MemoryUnitOfWorkFactory)
    timers = DeadlineTimers(world.new_engine(), MemoryQueries(world.uow.store), world.clock)
    report = await timers.start(paused=True)
    await timers.stop()
    assert report.recovered == [cr.id]
    assert (await world.get(cr.id)).state is State.APPLY_UNKNOWN


async def test_the_scheduler_runs_a_job_whose_time_has_passed() -> None:
    """The real APScheduler, not driven by hand: a deadline already due fires at start-up."""
    now = datetime.now(UTC)
    world = World(clock=TestClock(now - timedelta(hours=5)))
    cr = await world.propose("high")  # its first reminder was due an hour ago
    world.clock.set(now)
    assert isinstance(world.uow, MemoryUnitOfWorkFactory)
    timers = DeadlineTimers(world.engine, MemoryQueries(world.uow.store), world.clock)
    await timers.start()
    try:
        reminded = await poll(lambda: world.get(cr.id), lambda c: c.reminders_sent == 1)
        assert reminded.remind_at == now + timedelta(hours=4)
    finally:
        await timers.stop()


async def poll(
    read: Callable[[], Awaitable[ChangeRequest]],
    done: Callable[[ChangeRequest], bool],
    within_s: float = 10.0,
) -> ChangeRequest:
    """Re-read until `done` holds, yielding to the loop between reads (bounded)."""
    deadline = time.monotonic() + within_s
    while True:
        found = await read()
        if done(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.01)
