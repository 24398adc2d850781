"""Admission of commands in one process: one command at a time per change, and a bounded number
of units of work at once, so a burst queues in order instead of fighting over versions and
database connections. Compare-and-set still settles races between processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

IN_FLIGHT = 64  # commands at once: those on existing changes share a transaction


class Admission:
    """A lock per change id (dropped when nobody holds or waits for it) and a semaphore."""

    def __init__(self, in_flight: int = IN_FLIGHT) -> None:
        self._slots = asyncio.Semaphore(in_flight)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.pending = 0  # commands waiting or running
        self._left = asyncio.Event()  # fired (and replaced) whenever a command leaves

    async def room(self, below: int, within_s: float) -> bool:
        """Wait until fewer than `below` commands are pending, at most `within_s` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while self.pending >= below:
            left = deadline - loop.time()
            if left <= 0:
                return False
            ticket = self._left
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await ticket.wait()
        return True

    @contextlib.asynccontextmanager
    async def admitted(self, change_id: str | None) -> AsyncIterator[None]:
        """Wait for the change (if any) to be free, then for a slot."""
        self.pending += 1
        try:
            async with self._admitted(change_id):
                yield
        finally:
            self.pending -= 1
            fired, self._left = self._left, asyncio.Event()
            fired.set()

    @contextlib.asynccontextmanager
    async def _admitted(self, change_id: str | None) -> AsyncIterator[None]:
        if change_id is None:
            async with self._slots:
                yield
            return
        lock, users = self._locks.get(change_id, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[change_id] = (lock, users + 1)
        try:
            async with lock, self._slots:
                yield
        finally:
            lock, users = self._locks[change_id]
            if users <= 1:
                del self._locks[change_id]
            else:
                self._locks[change_id] = (lock, users - 1)
