"""Who runs a started apply: the process that committed the start holds a lease it renews while
the executor runs. Start-up recovery and the sweeper settle only applies nobody holds, so a
replica restarting never takes another live replica's apply for interrupted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.memory.store import MemoryUnitOfWorkFactory
from storage.sql.engines import Database
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.clock import TestClock
from tests.support.databases import SQL_BACKENDS, fresh_database
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.errors import WrongState
from workflow.model import ApplyStatus, ChangeRequest, State
from workflow.ports import ApplyResult

LEASE = timedelta(seconds=60)


@dataclass
class HeldExecutor:
    """Applies only once `release` is set; counts every apply it was asked for."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    applies: list[str] = field(default_factory=list)
    dry_run_output: str = "+ neighbor 192.0.2.1 remote-as 65001"

    async def dry_run(self, change: ChangeRequest) -> str:
        return self.dry_run_output

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult | None:
        self.applies.append(key)
        self.started.set()
        await self.release.wait()
        return ApplyResult(ApplyStatus.APPLIED, "done")


@pytest.fixture(params=SQL_BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with fresh_database(request.param, tmp_path) as opened:
        yield opened


def replica(db: Database, executor: HeldExecutor, now: datetime) -> World:
    """An engine as one process builds it: its own owner name, wall-clock leases set by `now`."""
    clock = TestClock(now)
    return World(uow=SqlUnitOfWorkFactory(db, now=clock.now, lease=LEASE), clock=clock,
                 executor=executor)  # type: ignore[arg-type]


async def approved(world: World) -> str:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    return cr.id


async def start_apply(world: World, executor: HeldExecutor
                   ) -> tuple[str, asyncio.Task[ChangeRequest]]:
    """An approved change whose apply has started and is held inside the executor."""
    change_id = await approved(world)
    task = asyncio.create_task(world.engine.apply(change_id, "req"))
    await asyncio.wait_for(executor.started.wait(), 10)
    return change_id, task


@pytest.mark.postgres
async def test_a_live_replicas_apply_is_left_alone_until_its_lease_runs_out(tmp_path: Path
                                                                           ) -> None:
    async with fresh_database("postgres", tmp_path) as db:
        t0 = datetime.now(UTC)
        executor = HeldExecutor()
        first = replica(db, executor, t0)
        _, applying = await start_apply(first, executor)

        second = replica(db, executor, t0 + LEASE / 2)  # restarts while the apply runs
        assert await second.engine.recover_interrupted_applies() == []
        executor.release.set()
        done = await applying
        assert done.state is State.APPLIED
        assert executor.applies == [done.apply_key()]


@pytest.mark.postgres
async def test_a_dead_replicas_apply_is_settled_once_its_lease_ran_out(tmp_path: Path) -> None:
    async with fresh_database("postgres", tmp_path) as db:
        t0 = datetime.now(UTC)
        executor = HeldExecutor()
        first = replica(db, executor, t0)
        change_id, applying = await start_apply(first, executor)

        later = replica(db, executor, t0 + LEASE + timedelta(seconds=1))  # never renewed
        assert await later.engine.recover_interrupted_applies() == [change_id]
        assert (await later.get(change_id)).state is State.APPLY_UNKNOWN
        executor.release.set()
        with pytest.raises(WrongState):  # the late outcome does not overwrite the unknown
            await applying
        assert len(executor.applies) == 1


async def test_the_holder_renews_its_lease_while_the_executor_runs(db: Database) -> None:
    executor = HeldExecutor()
    world = replica(db, executor, datetime.now(UTC))
    change_id, applying = await start_apply(world, executor)
    async with world.uow() as uow:
        assert await uow.changes.abandoned_applies() == []  # its own, fresh lease
        cr = await uow.changes.get(change_id)
        assert cr is not None and cr.apply is not None
        assert await uow.changes.renew_apply_lease(change_id, cr.apply.key) == LEASE
        assert await uow.changes.renew_apply_lease(change_id, "CHG-0:1:x") is None
    executor.release.set()
    assert (await applying).state is State.APPLIED
    async with world.uow() as uow:
        assert await uow.changes.renew_apply_lease(change_id, cr.apply.key) is None  # gone


async def test_on_one_process_databases_another_holder_is_a_dead_one(tmp_path: Path) -> None:
    """SQLite and memory serve one process: a lease left by any other holder is from a crash."""
    async with fresh_database("sqlite", tmp_path) as db:
        t0 = datetime.now(UTC)
        executor = HeldExecutor()
        first = replica(db, executor, t0)
        change_id, applying = await start_apply(first, executor)
        assert await first.engine.recover_interrupted_applies() == []
        restarted = replica(db, executor, t0)
        assert await restarted.engine.recover_interrupted_applies() == [change_id]
        executor.release.set()
        with pytest.raises(WrongState):
            await applying


async def test_an_apply_given_up_in_process_is_settled_at_once() -> None:
    """The executor call ended without an outcome (the process is going down): the hold is
    released, and the same process's sweeper settles it as unknown right away."""
    world = World(uow=MemoryUnitOfWorkFactory())
    change_id = await approved(world)
    world.executor.result = None
    assert (await world.engine.apply(change_id, "req")).state is State.EXECUTING
    assert await world.engine.recover_interrupted_applies() == [change_id]
    assert (await world.get(change_id)).state is State.APPLY_UNKNOWN
