"""Drive deadline timers by the test clock: armed jobs run in time order, as a scheduler would."""

from __future__ import annotations

from datetime import datetime

from bot.timers import DeadlineTimers
from storage.memory.store import MemoryQueries, MemoryUnitOfWorkFactory
from storage.ports.deadlines import DeadlineSource
from storage.sql.queries import Queries
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.clock import TestClock
from tests.support.world import World
from workflow.ports import UnitOfWorkFactory


def deadline_source(uow: UnitOfWorkFactory) -> DeadlineSource:
    """The pending-deadlines query of the storage behind a unit-of-work factory."""
    if isinstance(uow, MemoryUnitOfWorkFactory):
        return MemoryQueries(uow.store)
    assert isinstance(uow, SqlUnitOfWorkFactory)
    return Queries(uow.db)


def timers_for(world: World) -> DeadlineTimers:
    """Timers over the world's engine, storage and clock; the scheduler is never started."""
    return DeadlineTimers(world.engine, deadline_source(world.uow), world.clock)


async def run_until(timers: DeadlineTimers, clock: TestClock, until: datetime) -> list[str]:
    """Fire every armed job due by `until` in time order, moving the clock to each; the clock
    ends at `until`. Returns the ids fired, in order."""
    fired: list[str] = []
    while True:
        due = sorted((at, change_id) for change_id, at in timers.armed().items() if at <= until)
        if not due:
            break
        at, change_id = due[0]
        clock.set(max(at, clock.now()))
        fired.append(change_id)
        await timers.fire(change_id)
    clock.set(until)
    return fired
