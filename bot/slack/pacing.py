"""Per-channel pacing: chat.postMessage allows about one message a second in each channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEFAULT_INTERVAL_S = 1.0


class ChannelPacer:
    """Spaces posts to one channel `interval_s` apart; other channels are not held up."""

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
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
