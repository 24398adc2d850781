"""Aborting a running apply: who may, in which state, and that the abort and the apply's own
completion settle to exactly one outcome, on every backend."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from tests.support.backends import Backend
from tests.support.executor import ScriptedExecutor, SingleExecutorRegistry
from tests.support.reviews import approve_seen
from tests.support.world import World, lookup_usergroup
from workflow.abort import WATCH_S
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.errors import AbortNotPossible, InvalidInput, NotPermitted, WrongState
from workflow.model import ApplyStatus, ChangeRequest, State
from workflow.ports import ApplyResult

RACES = 50


@dataclass
class GatedExecutor(ScriptedExecutor):
    """An apply that runs until released; an abort releases it as failed."""

    started: dict[str, asyncio.Event] = field(default_factory=dict)
    release: dict[str, asyncio.Event] = field(default_factory=dict)
    aborted: set[str] = field(default_factory=set)
    slow: bool = False  # an abort is taken but the apply goes on until released

    def gate(self, key: str) -> tuple[asyncio.Event, asyncio.Event]:
        return (self.started.setdefault(key, asyncio.Event()),
                self.release.setdefault(key, asyncio.Event()))

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult | None:
        started, release = self.gate(key)
        started.set()
        await release.wait()
        if key in self.aborted:
            return ApplyResult(ApplyStatus.FAILED, "stopped by the abort")
        return ApplyResult(ApplyStatus.APPLIED, "done")

    def cannot_abort(self, change: ChangeRequest) -> str | None:
        return None

    async def abort(self, change: ChangeRequest, key: str) -> None:
        _, release = self.gate(key)
        if not release.is_set():
            self.aborted.add(key)
            if not self.slow:
                release.set()


def gated(world: World) -> GatedExecutor:
    world.executor = GatedExecutor()
    world.engine = world.new_engine()
    return world.executor


async def executing(world: World, executor: GatedExecutor
                    ) -> tuple[ChangeRequest, asyncio.Task[ChangeRequest]]:
    """An approved high-risk change whose apply is running."""
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    running = asyncio.create_task(world.engine.apply(cr.id, "req"))
    await executor.gate(cr.apply_key())[0].wait()
    return await world.get(cr.id), running


async def test_abort_racing_the_apply_completion_settles_to_exactly_one_outcome(
        world: World, backend: Backend) -> None:
    executor = gated(world)
    seen: set[tuple[State, bool]] = set()
    for i in range(RACES):
        cr, running = await executing(world, executor)
        key = cr.apply_key()

        async def finish(key: str = key, turns: int = i % 9) -> None:
            for _ in range(turns * turns):  # let the abort get further each time
                await asyncio.sleep(0)
            executor.gate(key)[1].set()

        abort = world.engine.abort(cr.id, "n1", "stop it")
        if i % 3 == 0:  # the abort lands first, then the apply's end
            results = await asyncio.gather(abort, return_exceptions=True)
            await finish()
        elif i % 3 == 1:  # the apply ends first, then the abort comes
            await finish()
            await running
            results = await asyncio.gather(abort, return_exceptions=True)
        else:  # both at once, the apply's end a little later each time
            results = (await asyncio.gather(abort, finish(), return_exceptions=True))[:1]
        done = await running
        abort_result = results[0]

        final = await world.get(cr.id)
        assert final == done or final.version >= done.version
        assert final.state in (State.APPLIED, State.FAILED)
        rows = [r.record for r in await backend.audit_rows() if r.record["change_id"] == cr.id]
        outcomes = [r for r in rows if r["kind"] in ("applied", "failed", "apply_unknown")]
        assert len(outcomes) == 1, outcomes
        requested = [r for r in rows if r["kind"] == "abort_requested"]
        assert final.apply is not None
        if isinstance(abort_result, BaseException):
            assert isinstance(abort_result, WrongState), abort_result
            assert final.state is State.APPLIED and not requested
        else:
            assert len(requested) == 1 and final.apply.abort_requested_by == "n1"
        assert final.apply.aborted == (final.state is State.FAILED)
        assert outcomes[0]["data"].get("aborted", False) == final.apply.aborted
        seen.add((final.state, bool(requested)))
    assert seen == {(State.FAILED, True), (State.APPLIED, False)} | (
        seen & {(State.APPLIED, True)}), seen  # both orders happened, and nothing else


async def test_only_an_operator_may_abort_only_while_executing_and_only_once(
        world: World) -> None:
    executor = gated(world)
    waiting = await world.propose("high")
    with pytest.raises(WrongState, match="cannot abort"):
        await world.engine.abort(waiting.id, "req", "changed my mind")
    cr, running = await executing(world, executor)
    with pytest.raises(NotPermitted, match="abort its apply"):
        await world.engine.abort(cr.id, "x", "not my change")
    with pytest.raises(InvalidInput, match="reason"):
        await world.engine.abort(cr.id, "n1", " ")
    executor.slow = True
    after = await world.engine.abort(cr.id, "req", "wrong window")
    assert after.state is State.EXECUTING and after.apply is not None
    assert (after.apply.abort_requested_by, after.apply.abort_reason) == ("req", "wrong window")
    with pytest.raises(AbortNotPossible, match="req already asked"):
        await world.engine.abort(cr.id, "n1", "stop")
    executor.gate(cr.apply_key())[1].set()
    assert (await running).state is State.FAILED


async def test_an_executor_that_cannot_stop_refuses_the_abort_naming_why(world: World) -> None:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.executor.result = None  # the apply is running and reports later
    started = await world.engine.apply(cr.id, "req")
    assert started.state is State.EXECUTING
    with pytest.raises(AbortNotPossible, match="cannot stop a running apply"):
        await world.engine.abort(cr.id, "req", "stop")
    assert (await world.get(cr.id)).apply.abort_requested_by is None  # type: ignore[union-attr]


async def test_an_abort_recorded_by_another_replica_reaches_the_running_executor(
        world: World) -> None:
    executor = gated(world)
    cr, running = await executing(world, executor)
    other = Engine(world.uow, world.clock, lambda: world.policy,
                   PolicyDirectory(lambda: world.policy, lookup_usergroup),
                   SingleExecutorRegistry(None))  # this replica runs no executor itself

    await other.abort(cr.id, "n1", "stop it")

    done = await asyncio.wait_for(running, WATCH_S * 10)  # the runner's watcher sees it
    assert done.state is State.FAILED and done.apply is not None and done.apply.aborted
