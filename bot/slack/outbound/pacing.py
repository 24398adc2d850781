"""Pacing: calls spaced to Slack's published rate limits (bot/slack/outbound/limits.py), and held
after a 429 for as long as its Retry-After says, so the bot never provokes a 429 in steady operation
and never calls again before Slack said it may."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.slack.outbound.budget import Budget
from bot.slack.outbound.limits import POST, TIERED, Limit, limits_of

DEFAULT_INTERVAL_S = 1.0
MIN_SLEEP_S = 0.001  # a shorter wait could leave a coarse clock where it was
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ChannelPacer:
    """Spaces posts to one channel `interval_s` apart; other channels are not held up."""

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        """Return when a post to `channel` may go out, and book the next slot."""
        async with self._locks.setdefault(channel, asyncio.Lock()):
            now = self._clock()
            due = self._next.get(channel, now)
            if due > now:
                await self._sleep(due - now)
                now = due
            self._next[channel] = now + self._interval_s


class SlackPacer:
    """Token buckets per method (per channel and workspace for chat.postMessage) a little inside
    this process's share of Slack's limits (one of `replicas` serving the app), and the holds
    Slack's Retry-After answers impose; callers of one limit are let through in the order they
    asked."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep, *,
                 replicas: int = 1) -> None:
        self._clock = clock
        self._sleep = sleep
        self._replicas = replicas
        self._buckets: dict[tuple[str, str], Budget] = {}
        self._held: dict[str, float] = {}  # method: no call before this time
        self._queues: dict[tuple[str, str], asyncio.Lock] = {}
        self.refusals = 0  # 429s Slack answered

    def wait_s(self, method: str, channel: str | None = None) -> float:
        """Seconds until a call of `method` may go out (0: now)."""
        held = self._held.get(method, 0.0) - self._clock()
        return max([held, 0.0, *(self._bucket(key, limit).wait_s()
                                 for key, limit in limits_of(method, channel))])

    async def acquire(self, method: str, channel: str | None = None) -> None:
        """Return when a call of `method` (to `channel`) may go out, and count it."""
        queue = (method, channel or "") if method == POST else (method, "")
        async with self._queues.setdefault(queue, asyncio.Lock()):
            while (wait := self.wait_s(method, channel)) > 0:
                await self._sleep(max(wait, MIN_SLEEP_S))
            for key, limit in limits_of(method, channel):
                self._bucket(key, limit).take()

    def hold(self, method: str, retry_after_s: float) -> None:
        """Slack answered 429: no call of `method` goes out for `retry_after_s` seconds."""
        self.refusals += 1
        self._held[method] = max(self._held.get(method, 0.0), self._clock() + retry_after_s)

    def _bucket(self, key: tuple[str, str], limit: Limit) -> Budget:
        if key not in self._buckets:
            kept = limit.kept(self._replicas)
            self._buckets[key] = Budget(kept.burst, kept.per_s, self._clock)
        return self._buckets[key]


def method_budget(method: str, replicas: int = 1, clock: Clock = time.monotonic) -> Budget:
    """A budget as the pacer keeps one method's tier: for callers that would rather put work
    off (App Home tabs) than wait for the pacer."""
    limit = TIERED[method].kept(replicas)
    return Budget(limit.burst, limit.per_s, clock)
