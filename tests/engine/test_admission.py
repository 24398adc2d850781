"""Admission: one command at a time per change, in arrival order, and no more than `in_flight`
commands at once; `room` tells a listener when the queue has drained below a bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from workflow.admission import Admission


class Commands:
    """Commands that enter an admission and stay inside until the test lets them leave."""

    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self.inside: list[int] = []
        self.entered: list[int] = []
        self.most_inside = 0
        self._entered: dict[int, asyncio.Event] = {}
        self._leave: dict[int, asyncio.Event] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, n: int, change_id: str | None) -> None:
        self._entered[n], self._leave[n] = asyncio.Event(), asyncio.Event()
        self.tasks[n] = asyncio.create_task(self._command(n, change_id))

    async def _command(self, n: int, change_id: str | None) -> None:
        async with self.admission.admitted(change_id):
            self.entered.append(n)
            self.inside.append(n)
            self.most_inside = max(self.most_inside, len(self.inside))
            self._entered[n].set()
            await self._leave[n].wait()
            self.inside.remove(n)

    async def has_entered(self, n: int) -> None:
        async with asyncio.timeout(30):  # fails instead of hanging
            await self._entered[n].wait()

    async def leave(self, n: int) -> None:
        self._leave[n].set()
        async with asyncio.timeout(30):
            await self.tasks[n]


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run (passes of the event loop, no wall-clock wait) until it holds."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def test_commands_on_one_change_run_one_at_a_time_in_arrival_order() -> None:
    """Two clicks on one change must never decide against the same version at once."""
    commands = Commands(Admission(in_flight=8))
    for n in range(4):
        commands.start(n, "CHG-1")
    await commands.has_entered(0)
    await until(lambda: commands.admission.pending == 4)
    assert commands.entered == [0]
    for n in range(3):
        await commands.leave(n)
        await commands.has_entered(n + 1)
        assert commands.inside == [n + 1]
    await commands.leave(3)
    assert commands.entered == [0, 1, 2, 3]
    assert commands.most_inside == 1


async def test_different_changes_run_together_up_to_the_bound_and_no_further() -> None:
    """A burst on many changes takes `in_flight` units of work at once, the rest wait."""
    commands = Commands(Admission(in_flight=2))
    for n in range(5):
        commands.start(n, f"CHG-{n}")
    await commands.has_entered(0)
    await commands.has_entered(1)  # both inside at once: neither has left
    await until(lambda: commands.admission.pending == 5)
    assert sorted(commands.inside) == [0, 1]
    await commands.leave(1)
    await commands.has_entered(2)
    assert sorted(commands.inside) == [0, 2]
    for n in (0, 2):
        await commands.leave(n)
    await commands.has_entered(3)
    await commands.has_entered(4)
    for n in (3, 4):
        await commands.leave(n)
    assert commands.most_inside == 2
    assert commands.admission.pending == 0


async def test_new_changes_share_the_bound_with_existing_ones() -> None:
    """A proposal (no change id yet) takes a slot like any other command."""
    commands = Commands(Admission(in_flight=1))
    commands.start(0, "CHG-1")
    commands.start(1, None)
    await commands.has_entered(0)
    await until(lambda: commands.admission.pending == 2)
    assert commands.inside == [0]
    await commands.leave(0)
    await commands.has_entered(1)
    await commands.leave(1)


async def test_room_is_true_once_pending_drops_below_the_bound() -> None:
    """A listener waiting for room goes on as soon as a command leaves."""
    commands = Commands(Admission(in_flight=8))
    for n in range(2):
        commands.start(n, f"CHG-{n}")
        await commands.has_entered(n)
    assert await commands.admission.room(below=3, within_s=0)  # already below: no wait
    waiting = asyncio.create_task(commands.admission.room(below=2, within_s=30))
    await until(lambda: commands.admission.pending == 2)
    assert not waiting.done()
    await commands.leave(0)
    async with asyncio.timeout(30):
        assert await waiting is True
    await commands.leave(1)


async def test_room_is_false_when_pending_stays_at_the_bound() -> None:
    """The listener must get an answer in time even if nothing leaves."""
    commands = Commands(Admission(in_flight=8))
    commands.start(0, "CHG-1")
    await commands.has_entered(0)
    assert await commands.admission.room(below=1, within_s=0.01) is False
    await commands.leave(0)
    assert await commands.admission.room(below=1, within_s=0.01) is True


async def test_a_change_lock_is_dropped_when_nobody_holds_or_waits_for_it() -> None:
    """Locks of every change ever touched must not pile up in a long-running process."""
    admission = Admission(in_flight=8)
    commands = Commands(admission)
    commands.start(0, "CHG-1")
    commands.start(1, "CHG-1")
    commands.start(2, "CHG-2")
    await commands.has_entered(0)
    await commands.has_entered(2)
    await until(lambda: admission.pending == 3)
    assert set(admission._locks) == {"CHG-1", "CHG-2"}
    await commands.leave(2)
    assert set(admission._locks) == {"CHG-1"}  # one still holds it, one waits
    await commands.leave(0)
    await commands.has_entered(1)
    assert set(admission._locks) == {"CHG-1"}
    await commands.leave(1)
    assert admission._locks == {}


async def test_a_waiter_that_gives_up_leaves_no_lock_behind() -> None:
    """A cancelled command waiting for its change must not keep the change's lock alive."""
    admission = Admission(in_flight=8)
    commands = Commands(admission)
    commands.start(0, "CHG-1")
    commands.start(1, "CHG-1")
    await commands.has_entered(0)
    await until(lambda: admission.pending == 2)
    commands.tasks[1].cancel()
    await asyncio.gather(commands.tasks[1], return_exceptions=True)
    assert admission.pending == 1
    await commands.leave(0)
    assert (admission._locks, admission.pending) == ({}, 0)
