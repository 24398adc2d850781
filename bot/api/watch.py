"""Waking long-polls: every commit of this process's engine wakes every waiter; polling
catches the rest (other replicas' commits)."""

from __future__ import annotations

import asyncio
import contextlib


class ChangeWatch:
    """A broadcast signal: waiters take a ticket before reading, so no notify is ever missed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ticket(self) -> asyncio.Event:
        """Take before reading the state; set by the next `notify`."""
        return self._event

    def notify(self) -> None:
        """Something was committed: wake everyone waiting now."""
        fired, self._event = self._event, asyncio.Event()
        fired.set()

    @staticmethod
    async def wait(ticket: asyncio.Event, seconds: float) -> bool:
        """Wait for the ticket at most `seconds`; True if it fired."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await ticket.wait()
        return ticket.is_set()
