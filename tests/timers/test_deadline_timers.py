"""Deadline timers over the real engine with a test clock, on every storage backend."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from bot.timers import DeadlineTimers
from storage.audit_chain import AuditRow
from tests.support.backends import Backend
from tests.support.reviews import approve_seen
from tests.support.world import World
from tests.timers.drive import deadline_source, run_until, timers_for
from workflow.model import ChangeRequest, State


def count(rows: Sequence[AuditRow], kind: str) -> int:
    return sum(1 for r in rows if r.record["kind"] == kind)


async def test_timeout_expires_after_reminders_once_per_interval(
    world: World, backend: Backend
) -> None:
    timers = timers_for(world)
    cr = await world.propose("high")
    assert timers.arm(cr) == world.clock.now() + timedelta(hours=4)
    start = world.clock.now()
    fired = await run_until(timers, world.clock, start + timedelta(hours=72))
    cr = await world.get(cr.id)
    assert cr.state is State.EXPIRED
    assert count(await backend.audit_rows(), "reminded") == 17  # 4h, 8h, ... 68h
    assert count(await backend.audit_rows(), "expired") == 1
    assert len(fired) == 18
    assert cr.id not in timers.armed()


async def test_early_late_and_repeated_firings_are_harmless(
    world: World, backend: Backend
) -> None:
    timers = timers_for(world)
    cr = await world.propose("high")
    world.clock.advance(hours=3)
    await timers.fire(cr.id)  # early: nothing is due yet
    assert count(await backend.audit_rows(), "reminded") == 0
    assert timers.armed()[cr.id] == cr.remind_at
    world.clock.advance(hours=2)  # late
    await timers.fire(cr.id)
    await timers.fire(cr.id)  # repeated
    assert count(await backend.audit_rows(), "reminded") == 1
    assert timers.armed()[cr.id] == world.clock.now() + timedelta(hours=4)


async def test_scheduled_apply_fires_once_after_the_dry_run_recheck(world: World) -> None:
    timers = timers_for(world)
    when = world.clock.now() + timedelta(hours=2)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.SCHEDULED and timers.arm(cr) == when
    await run_until(timers, world.clock, when + timedelta(hours=1))
    cr = await world.get(cr.id)
    assert cr.state is State.APPLIED
    assert world.executor.dry_runs == [cr.id] and len(world.executor.applies) == 1
    await timers.fire(cr.id)
    assert len(world.executor.applies) == 1 and cr.id not in timers.armed()


async def test_scheduled_apply_with_a_changed_dry_run_returns_to_review(
    world: World, backend: Backend
) -> None:
    timers = timers_for(world)
    when = world.clock.now() + timedelta(hours=2)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    timers.arm(await approve_seen(world.engine, cr.id, "n2"))
    world.executor.dry_run_output = "drifted"
    await run_until(timers, world.clock, when)
    cr = await world.get(cr.id)
    assert cr.state is State.PENDING_REVIEW and world.executor.applies == []
    assert timers.armed()[cr.id] == when + timedelta(hours=4)  # reminders start again
    invalidated = [r.record for r in await backend.audit_rows()
                   if r.record["kind"] == "approvals_invalidated"]
    assert sorted(invalidated[-1]["data"]["people"]) == ["n1", "n2"]


async def test_late_final_approval_inside_the_grace_applies_at_once(world: World) -> None:
    timers = timers_for(world)
    when = world.clock.now() + timedelta(minutes=10)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.set(when + timedelta(minutes=15))  # the boundary is inside
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED and world.executor.applies == []  # due, not yet run
    assert timers.arm(cr) == world.clock.now()
    assert await run_until(timers, world.clock, world.clock.now()) == [cr.id]
    cr = await world.get(cr.id)
    assert cr.state is State.APPLIED and len(world.executor.applies) == 1
    assert cr.id not in timers.armed()


async def test_late_final_approval_outside_the_grace_waits_for_a_new_schedule(
    world: World, backend: Backend
) -> None:
    timers = timers_for(world)
    when = world.clock.now() + timedelta(minutes=10)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.set(when + timedelta(minutes=15, seconds=1))
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED and world.executor.applies == []
    assert timers.arm(cr) is None and await timers.sweep() == []
    assert count(await backend.audit_rows(), "reschedule_needed") == 1


async def test_the_sweeper_fires_a_deadline_no_job_was_armed_for(
    world: World, backend: Backend
) -> None:
    timers = timers_for(world)
    cr = await world.propose("high")
    world.clock.advance(hours=5)
    assert await timers.sweep() == [cr.id]
    assert count(await backend.audit_rows(), "reminded") == 1
    assert await timers.sweep() == []
    assert timers.armed()[cr.id] == world.clock.now() + timedelta(hours=4)


async def test_a_failing_firing_waits_for_a_later_sweep(world: World) -> None:
    timers = timers_for(world)
    when = world.clock.now() + timedelta(hours=1)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    timers.arm(await approve_seen(world.engine, cr.id, "n2"))
    failing = RuntimeError("the device did not answer")

    async def broken(change: object) -> str:
        raise failing

    world.executor.dry_run = broken  # type: ignore[method-assign]
    await run_until(timers, world.clock, when)
    assert (await world.get(cr.id)).state is State.SCHEDULED
    assert cr.id not in timers.armed() and timers.retry_after(cr.id) == when + timedelta(
        seconds=30)
    assert await timers.sweep() == []  # still waiting
    world.clock.advance(seconds=30)
    assert await timers.sweep() == [cr.id]
    assert timers.retry_after(cr.id) == world.clock.now() + timedelta(seconds=60)  # doubled
    del world.executor.dry_run
    world.clock.advance(seconds=60)
    assert await timers.sweep() == [cr.id]
    assert (await world.get(cr.id)).state is State.APPLIED
    assert timers.retry_after(cr.id) is None and len(world.executor.applies) == 1


async def test_every_commit_rearms_its_change_and_a_due_apply_fires_from_its_timer(
    world: World
) -> None:
    """Wired to the engine's commits, the timers follow each change without a delivery or a
    sweep; an apply due at its commit is armed to fire at once, not run by the approval."""
    timers = timers_for(world)
    world.engine.on_commit(timers.committed)
    cr = await world.propose("high")
    assert timers.armed()[cr.id] == cr.remind_at
    world.clock.advance(hours=1)
    await world.engine.comment(cr.id, "n3", "looking")  # any commit re-arms from the new state
    assert timers.armed()[cr.id] == cr.remind_at
    await world.engine.withdraw_request(cr.id, "req")
    assert cr.id not in timers.armed()

    when = world.clock.now() + timedelta(hours=1)
    late = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, late.id, "n1")
    world.clock.set(when + timedelta(minutes=1))  # approved late, within the grace: apply now
    await world.engine.run_dry_run(late.id, "req")
    approved = await approve_seen(world.engine, late.id, "n2")
    assert approved.state is State.APPROVED and world.executor.applies == []
    assert timers.armed()[late.id] == world.clock.now()
    armed: list[bool] = []
    world.engine.on_commit(lambda _changes: armed.append(late.id in timers.armed()))
    await timers.fire(late.id)
    assert (await world.get(late.id)).state is State.APPLIED
    assert len(world.executor.applies) == 1
    assert armed == [False, False]  # started, applied: each commit left nothing armed
    assert late.id not in timers.armed()


class HeldEngine:
    """The world's engine, but the first firing, once decided, waits for the test to let its
    job end."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.firing = asyncio.Event()
        self.go_on = asyncio.Event()

    async def fire_deadline(self, change_id: str) -> ChangeRequest:
        fired = await self.world.engine.fire_deadline(change_id)
        if not self.firing.is_set():
            self.firing.set()
            await self.go_on.wait()
        return fired

    async def recover_interrupted_applies(self) -> list[str]:
        return await self.world.engine.recover_interrupted_applies()


async def test_an_apply_made_due_while_its_changes_job_runs_fires_when_that_job_ends(
    world: World
) -> None:
    """The scheduler skips a job whose previous run is still going: an apply an approval makes
    due meanwhile is fired by the running job once it ends, not left to the sweeper."""
    world.use_policy(world.policy_text.replace("name: high, priority: 20,",
                                               "name: high, priority: 20, apply: auto,"))
    engine = HeldEngine(world)
    timers = DeadlineTimers(engine, deadline_source(world.uow), world.clock)
    world.engine.on_commit(timers.committed)
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.set(cr.remind_at)  # its reminder fires...
    job = asyncio.create_task(timers.fire(cr.id))
    await engine.firing.wait()
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    approved = await approve_seen(world.engine, cr.id, "n2")  # ...while the final approval commits
    assert approved.state is State.APPROVED
    engine.go_on.set()
    await job
    assert (await world.get(cr.id)).state is State.APPLIED
    assert len(world.executor.applies) == 1 and cr.id not in timers.armed()
