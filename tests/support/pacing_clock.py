"""Monotonic seconds for pacing under test: they move only when something sleeps on them, so a
bot kept to Slack's rate limits (and a fake Slack counting them by the same clock) takes no wall
time to wait out a limit."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.sandbox.fakeslack import FakeSlack
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
