"""What carries committed outbox messages to Slack: the in-memory pump or the durable relay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.outbox.relay import Relay
from bot.slack.outbound.delivery import OutboxItem

# Consecutive messages of one change at once (a courier that fell behind sends them together).
Deliver = Callable[[Sequence[OutboxItem]], Awaitable[None]]

STOP_WAIT_S = 10.0


class Courier(Protocol):
    """Started with the server, kicked by every commit of the engine, drained in tests, closed
    at exit."""

    def start(self) -> None: ...

    def kick(self) -> None: ...

    async def drain(self) -> int: ...

    async def close(self) -> None: ...


class RelayCourier:
    """The durable relay (leases, backoff, dead letters) as a Courier."""

    def __init__(self, relay: Relay) -> None:
        self._relay = relay
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._relay.run(), name="relay")

    def kick(self) -> None:
        self._relay.wake()

    async def drain(self) -> int:
        """Deliver everything due now, in this task, once the round the loop may be delivering
        is done: when it returns, every message committed before the call has been handled."""
        delivered = 0
        while (done := await self._relay.run_once()).claimed:
            delivered += done.delivered
        return delivered

    async def close(self) -> None:
        if self._task is not None:
            self._relay.stop()
            try:
                await asyncio.wait_for(self._task, STOP_WAIT_S)
            except TimeoutError:  # a delivery hung: its lease runs out and another relay retries
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
