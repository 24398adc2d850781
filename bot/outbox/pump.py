"""A simple in-process outbox drain over the in-memory store, for tests and storage-less runs.

This is not the durable relay: no leases, no backoff, no dead-letter table. It reads the
in-memory outbox list from a cursor (it never removes messages, so the list's positions stay
the message ids other readers use); a message whose delivery fails is logged and set aside in
`failed`. The durable relay (bot/outbox/relay.py over a claimable outbox queue) replaces it in
production, where `SlackDelivery.deliver_many` takes each change's run of `change.event` messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from workflow.ports import OutboxMessage

log = logging.getLogger(__name__)
Deliver = Callable[[OutboxMessage], Awaitable[None]]


async def drain(
    outbox: Sequence[OutboxMessage],
    deliver: Deliver,
    start: int = 0,
    failed: list[OutboxMessage] | None = None,
) -> int:
    """Deliver `outbox[start:]` in order, including messages queued meanwhile.

    Returns the position after the last message handled, to pass as `start` next time.
    """
    position = start
    while position < len(outbox):
        message = outbox[position]
        position += 1
        try:
            await deliver(message)
        except Exception:
            log.exception("delivery of %s for %s failed", message.topic, message.change_id)
            if failed is not None:
                failed.append(message)
    return position


class OutboxPump:
    """Drains after every kick (a command committed) and every `interval_s`, one drain at a time."""

    def __init__(self, outbox: Sequence[OutboxMessage], deliver: Deliver,
                 interval_s: float = 1.0) -> None:
        self._outbox = outbox
        self._deliver = deliver
        self._interval_s = interval_s
        self._position = 0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failed: list[OutboxMessage] = []

    def start(self) -> None:
        """Run the drain loop in the background."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-pump")

    def kick(self) -> None:
        """Something was committed: drain soon."""
        self._wake.set()

    async def drain(self) -> int:
        """Deliver everything queued so far, now, in this task; returns how many were handled."""
        async with self._lock:
            before = self._position
            self._position = await drain(self._outbox, self._deliver, before, self.failed)
            return self._position - before

    async def close(self) -> None:
        """Stop the loop; anything still queued stays in the outbox."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._wake.wait()
            self._wake.clear()
            await self.drain()
