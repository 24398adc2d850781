"""The relay's second phase: what a handler leaves for later (a change's thread replies and DMs)
runs after the first phase of every message claimed so far (every change's card), a few at a
time, oldest first. Its messages stay leased until it is done, then are marked delivered, or
failed and retried like any other."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from storage.ports.outbox import Claimed, OutboxQueue
from workflow.ports import Clock
from workflow.tasks import cancel

log = logging.getLogger(__name__)
PARALLEL = 2  # second phases run at once: few, so first phases keep the channels' turns
LIMIT = 200  # messages waiting for their second phase before the relay claims no more

Later = Callable[[], Awaitable[None]]
GiveUp = Callable[[Claimed, str], Awaitable[bool]]  # record a failure; whether dead-lettered


@dataclass(frozen=True, slots=True)
class Deferred:
    """Messages whose first phase is done, and what is left of their delivery."""

    messages: Sequence[Claimed]
    later: Later


class LaterPhase:
    """Runs deferred second phases, renews their leases meanwhile, and records the outcome."""

    def __init__(self, queue: OutboxQueue, clock: Clock, owner: str, lease: timedelta,
                 timeout: timedelta, give_up: GiveUp, *, parallel: int = PARALLEL,
                 limit: int = LIMIT) -> None:
        self._queue = queue
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self._timeout = timeout
        self._give_up = give_up
        self._parallel = parallel
        self._limit = limit
        self._waiting: deque[Deferred] = deque()
        self._pending: set[int] = set()  # message ids deferred and not yet recorded
        self._workers: set[asyncio.Task[None]] = set()
        self._renewing: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._room.set()
        self.delivered = 0  # messages delivered by their second phase so far

    def defer(self, messages: Sequence[Claimed], later: Later) -> None:
        """Run `later` once the first phases claimed before it had their turn."""
        self._waiting.append(Deferred(messages, later))
        self._pending.update(m.id for m in messages)
        if len(self._pending) >= self._limit:
            self._room.clear()
        loop = asyncio.get_running_loop()
        if self._renewing is None or self._renewing.done():
            self._renewing = loop.create_task(self._renew(), name="relay-later-leases")
        if len(self._workers) < self._parallel:
            worker = loop.create_task(self._work(), name="relay-later")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def room(self) -> None:
        """Return once fewer than the limit of messages wait for their second phase."""
        await self._room.wait()

    async def settled(self) -> None:
        """Return once every second phase deferred so far (and any deferred meanwhile) ran."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)

    async def close(self) -> None:
        """Hand the second phases not started back to the queue, let those running finish."""
        released = [m.id for deferred in self._waiting for m in deferred.messages]
        self._waiting.clear()
        if released:
            self._forget(released)
            await self._queue.release(released, self._owner)
        await self.settled()
        if self._renewing is not None:
            await cancel(self._renewing)

    async def _work(self) -> None:
        while self._waiting:
            deferred = self._waiting.popleft()
            ids = [m.id for m in deferred.messages]
            error = await self._run(deferred.later)
            try:
                if error is None:
                    await self._queue.mark_delivered_all(ids, self._clock.now())
                    self.delivered += len(ids)
                else:
                    for message in deferred.messages:
                        await self._give_up(message, error)
            except Exception:  # the database is away: the leases run out, then retried
                log.exception("outcome of outbox messages %s not recorded", ids)
            finally:
                self._forget(ids)

    async def _run(self, later: Later) -> str | None:
        """None when done, else what went wrong."""
        try:
            async with asyncio.timeout(self._timeout.total_seconds()):
                await later()
        except TimeoutError:
            return f"the handler did not finish within {self._timeout.total_seconds():g} s"
        except Exception as error:  # retried, whatever the cause
            return f"{type(error).__name__}: {error}"
        return None

    def _forget(self, ids: Sequence[int]) -> None:
        self._pending.difference_update(ids)
        if len(self._pending) < self._limit:
            self._room.set()

    async def _renew(self) -> None:
        """Every third of the lease, extend it for the messages still deferred."""
        while self._pending:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                if self._pending:
                    await self._queue.renew(sorted(self._pending), self._owner,
                                            self._clock.now() + self._lease)
            except Exception:  # the database is away: the leases may still hold until then
                log.exception("outbox leases of second phases could not be renewed")
