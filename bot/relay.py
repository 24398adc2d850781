"""The outbox relay: delivers committed side effects, retries with backoff, dead-letters, alerts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from workflow.ports import Clock, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
IDLE = timedelta(seconds=1)
BATCH = 50


class Claimed(Protocol):
    """A message leased to this relay; `attempts` counts the current one."""

    @property
    def id(self) -> int: ...

    @property
    def topic(self) -> str: ...

    @property
    def change_id(self) -> str | None: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def attempts(self) -> int: ...


class OutboxQueue(Protocol):
    """The relay's side of the outbox (SQL `OutboxQueue`, `MemoryOutboxQueue`)."""

    async def claim(
        self, owner: str, limit: int, lease: timedelta, now: datetime
    ) -> Sequence[Claimed]: ...

    async def mark_delivered(self, message_id: int, now: datetime) -> bool: ...

    async def mark_failed(self, message_id: int, owner: str, error: str, now: datetime) -> bool:
        """Schedule a retry; True when the message was dead-lettered."""
        ...


Handler = Callable[[Claimed], Awaitable[None]]
Observer = Callable[[Claimed], Awaitable[None]]
Alert = Callable[[Claimed, str], Awaitable[None]]


def message_of(claimed: Claimed) -> OutboxMessage:
    """The queued message itself, for handlers written against OutboxMessage."""
    return OutboxMessage(claimed.topic, claimed.change_id, dict(claimed.payload))


def handler_for(deliver: Callable[[OutboxMessage], Awaitable[None]]) -> Handler:
    """Adapt a deliver(OutboxMessage) function (e.g. the Slack delivery) into a relay handler."""

    async def handle(claimed: Claimed) -> None:
        await deliver(message_of(claimed))

    return handle


@dataclass(frozen=True, slots=True)
class Round:
    """What one claim-and-deliver round did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def default_owner() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Relay:
    """Claims due messages, hands each to the handler of its topic, and records the result.

    A handler must finish within 80% of the lease, so no other relay claims a message still
    being delivered. Observers see every claimed message first; their failures are only logged.
    """

    def __init__(
        self,
        queue: OutboxQueue,
        clock: Clock,
        handlers: Mapping[str, Handler],
        *,
        alert: Alert | None = None,
        observers: Sequence[Observer] = (),
        owner: str | None = None,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        idle: timedelta = IDLE,
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._handlers = dict(handlers)
        self._alert = alert
        self._observers = tuple(observers)
        self.owner = owner or default_owner()
        self._batch = batch
        self._lease = lease
        self._idle = idle
        self._wake = asyncio.Event()
        self._stopping = False

    async def run_once(self) -> Round:
        """Claim one batch and deliver it in order."""
        claimed = await self._queue.claim(self.owner, self._batch, self._lease, self._clock.now())
        delivered = failed = dead = 0
        for message in claimed:
            await self._observe(message)
            error = await self._deliver(message)
            if error is None:
                await self._queue.mark_delivered(message.id, self._clock.now())
                delivered += 1
                continue
            failed += 1
            log.warning("outbox message %s (%s) failed, attempt %s: %s",
                        message.id, message.topic, message.attempts, error)
            if await self._queue.mark_failed(message.id, self.owner, error, self._clock.now()):
                dead += 1
                await self._raise_alert(message, error)
        return Round(len(claimed), delivered, failed, dead)

    async def run(self) -> None:
        """Deliver until stopped; sleep `idle` (or until woken) when nothing is due."""
        self._stopping = False
        while not self._stopping:
            try:
                done = await self.run_once()
            except Exception:
                log.exception("outbox relay round failed")
                done = Round()
            if done.claimed < self._batch:
                await self._pause()

    def wake(self) -> None:
        """Look for messages now (call after a commit) instead of at the next idle tick."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current round and return from run()."""
        self._stopping = True
        self._wake.set()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._idle.total_seconds()):
                await self._wake.wait()
        self._wake.clear()

    async def _deliver(self, message: Claimed) -> str | None:
        """None when delivered, else what went wrong."""
        handler = self._handlers.get(message.topic)
        if handler is None:
            return f"no handler for topic {message.topic!r}"
        try:
            async with asyncio.timeout(self._lease.total_seconds() * 0.8):
                await handler(message)
        except TimeoutError:
            return "the handler did not finish before the lease ran low"
        except Exception as error:  # a failed delivery is retried, whatever the cause
            return f"{type(error).__name__}: {error}"
        return None

    async def _observe(self, message: Claimed) -> None:
        for observer in self._observers:
            try:
                await observer(message)
            except Exception:
                log.exception("outbox observer failed on message %s", message.id)

    async def _raise_alert(self, message: Claimed, error: str) -> None:
        log.error("outbox message %s (%s) dead-lettered after %s attempts: %s",
                  message.id, message.topic, message.attempts, error)
        if self._alert is None:
            return
        try:
            await self._alert(message, error)
        except Exception:
            log.exception("the dead-letter alert for message %s failed", message.id)
