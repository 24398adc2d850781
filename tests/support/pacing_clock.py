"""Monotonic seconds for pacing under test: they move only when something sleeps on them, so a
bot kept to Slack's rate limits (and a fake Slack counting them by the same clock) takes no wall
time to wait out a limit."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.composition import Runtime
from bot.sandbox.fakeslack import FakeSlack
from bot.slack.outbound.budget import Budget
from bot.slack.outbound.card_follower import CardFollower
from bot.slack.outbound.limits import TIERED, Limit
from bot.slack.outbound.pacing import DEFAULT_INTERVAL_S


class PacingClock:
    """Seconds (`clock()`, as time.monotonic) that a `sleep(s)` moves on by s at once, yielding to
    the loop instead of waiting; every sleeper moves the one clock, so time runs at least as fast
    as it would for real. With `lasts_s`, the test's time ends that long after the start: a sleep
    that would end later never returns (a wait of an hour outlasts the test), so the clock stays
    short of the end."""

    def __init__(self, start: float = 1000.0, *, lasts_s: float | None = None) -> None:
        self.now = start
        self.end = None if lasts_s is None else start + lasts_s
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.end is not None and self.now + seconds > self.end:
            await asyncio.Event().wait()  # past the test's end: cancelled when the test stops
        self.advance(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move on by `seconds`, as a sleep of that long would, without yielding."""
        self.now += max(0.0, seconds)


def keeping_limits(fake: FakeSlack, pacing: PacingClock | None = None) -> PacingClock:
    """The clock `fake` keeps Slack's limits by: `pacing` (else a new clock) when it keeps none
    yet. Bots paced by it (`paced_by`) are never answered 429 for a call they made in their
    time, and bots sharing the fake share it, as replicas share Slack's limits."""
    if fake.limits is None:
        fake.with_limits(pacing or PacingClock())
    assert fake.limits is not None
    kept = fake.limits.clock
    assert isinstance(kept, PacingClock), "the fake keeps Slack's limits in real time"
    assert pacing is None or kept is pacing, "the fake keeps Slack's limits by another clock"
    return kept


def paced_by(pacing: PacingClock) -> dict[str, Any]:
    """open_runtime's arguments for production's pacing (Slack's limits, a post a second per
    channel) counted and waited out by `pacing`."""
    return {"pacing_s": DEFAULT_INTERVAL_S, "pacing_clock": pacing,
            "pacing_sleep": pacing.sleep}


class WaitedBudget(Budget):
    """A Budget on a PacingClock whose wait is waited out as it is asked for: `wait_s()` moves
    the clock on to when a call is available and says 0, so a caller that sleeps that long in
    real time (asyncio.sleep) goes on at once, with the budget's room."""

    def __init__(self, limit: Limit, pacing: PacingClock) -> None:
        super().__init__(limit.burst, limit.per_s, pacing)
        self._pacing = pacing

    def wait_s(self) -> float:
        self._pacing.advance(super().wait_s())
        return 0.0


def waiting_by(runtime: Runtime, pacing: PacingClock) -> None:
    """What waits for Slack's budgets outside the pacers waits by `pacing` too. Production
    builds both on time.monotonic and asyncio.sleep, whatever the pacer counts by: the paced
    CardUpdates (bot/slack/outbound/card_follower.py `paced_updates`) sleeps in real time for a
    chat.update budget that refills only as `pacing` moves on, and the App Home tabs catch up
    (bot/slack/outbound/homepub.py `_catch_up`) on views.publish's budget (`method_budget`) in
    real time, a tab every 0.6 s once the burst is spent."""
    if runtime.slack is None:
        return
    updates = runtime.slack.services.delivery.updates
    assert hasattr(updates, "_sleep"), "CardUpdates no longer sleeps by _sleep: pass the clock"
    updates._sleep = pacing.sleep
    homes = runtime.slack.services.homes
    assert hasattr(homes, "_budget"), "HomePublisher no longer keeps _budget: pass the clock"
    homes._budget = WaitedBudget(TIERED["views.publish"].kept(runtime.settings.replicas),
                                 pacing)
    # stop_following finds the follower so: say so here, where a paced runtime is set up
    assert followers(runtime) or not runtime.settings.role.relays, (
        "no card follower among the engine's commit observers: stop_following misses it")


def followers(runtime: Runtime) -> list[CardFollower]:
    """The card followers among the engine's commit observers (composition.py keeps no other
    handle on them)."""
    observers = runtime.engine._runner._writer._observers
    return [owner for owner in (getattr(o, "__self__", None) for o in observers)
            if isinstance(owner, CardFollower)]


async def stop_following(runtime: Runtime) -> None:
    """Stop the card follower and the card updates waiting for chat.update's budget, before
    `runtime.close()`: it leaves both running past the storage and the session it closes, so a
    follow or an update that lands later reads or stores through a closed database (a SQLite
    connection opened after the engine was disposed, never closed)."""
    if runtime.slack is None:
        return
    for follower in followers(runtime):
        await follower.close()
    updates = runtime.slack.services.delivery.updates
    assert hasattr(updates, "_tasks"), "CardUpdates no longer keeps its tasks in _tasks"
    waiting = list(updates._tasks)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
