"""The relay as a task of the process: started with the server, kicked by every commit,
drained in tests, stopped at exit."""

from __future__ import annotations

import asyncio
import contextlib

from bot.outbox.relay import Relay

STOP_WAIT_S = 10.0


class RelayTask:
    """Runs one Relay (leases, backoff, dead letters) over any storage's outbox queue."""

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
        is done, second phases included: when it returns, every message committed before the
        call has been handled."""
        before = self._relay.later.delivered
        delivered = 0
        while True:
            done = await self._relay.run_once()
            delivered += done.delivered
            await self._relay.later.settled()  # the loop's second phases too
            if not done.claimed:
                break
        return delivered + self._relay.later.delivered - before

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
