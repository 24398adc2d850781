"""The outbox relay: delivers committed side effects, retries with backoff, dead-letters, alerts.
A batched handler may leave part of a delivery for later (bot/outbox/later.py): what matters most
(every change's card) goes out before what can wait (its thread replies and DMs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.outbox.later import Later, LaterPhase
from storage.leases import lease_duration, process_owner
from storage.ports.outbox import Claimed, OutboxQueue
from workflow.ports import Clock
from workflow.tasks import running

log = logging.getLogger(__name__)

IDLE = timedelta(seconds=1)
BATCH = 50
PARALLEL = 8  # changes delivered at once within a round
# A delivery is cut off (and retried later) after this long. Slack's pacing of one post a
# second per channel can make a busy channel's posts wait, so it is generous; the batch's
# leases are renewed meanwhile, so no other relay takes the message over.
DELIVERY_TIMEOUT = timedelta(minutes=5)


Handler = Callable[[Claimed], Awaitable[None]]
# Takes consecutive messages of one change and one topic at once: a relay that fell behind
# then sends one Slack post for several events instead of one each. What it returns (if not
# None) is the rest of their delivery, run after the first phase of every message claimed.
BatchHandler = Callable[[Sequence[Claimed]], Awaitable[Later | None]]
Alert = Callable[[Claimed, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Round:
    """What one claim-and-deliver round did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    released: int = 0  # claimed, then handed back unattempted because the relay stopped
    deferred: int = 0  # first phase done, the rest left for later


@dataclass
class Tally:
    """What the lanes of one round did, and the messages they are still delivering."""

    pending: set[int]
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    released: int = 0
    deferred: int = 0

    def finished(self, message_ids: Sequence[int], *, released: bool = False) -> None:
        self.pending.difference_update(message_ids)
        if released:
            self.released += len(message_ids)


class Relay:
    """Claims due messages, hands each to the handler of its topic, and records the result.

    A batch is claimed under one lease that is renewed while it is delivered; a handler that
    runs longer than `timeout` is cut off (and retried later), so a hung call never holds a
    message for ever.
    """

    def __init__(
        self,
        queue: OutboxQueue,
        clock: Clock,
        handlers: Mapping[str, Handler],
        *,
        batched: Mapping[str, BatchHandler] | None = None,
        alert: Alert | None = None,
        owner: str | None = None,
        batch: int = BATCH,
        lease: timedelta | None = None,
        idle: timedelta = IDLE,
        parallel: int = PARALLEL,
        timeout: timedelta = DELIVERY_TIMEOUT,
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._batched = dict(batched or {})
        self._handlers = dict(handlers)
        self._alert = alert
        self.owner = owner or process_owner()
        self._batch = batch
        self._parallel = parallel
        self._timeout = timeout
        self._lease = lease or lease_duration()
        self._idle = idle
        self._wake = asyncio.Event()
        self._stopping = False
        self._round = asyncio.Lock()
        self.later = LaterPhase(queue, clock, self.owner, self._lease, timeout, self._give_up)

    async def run_once(self) -> Round:
        """Claim one batch and deliver it: each change's messages in order, several changes at
        once (a slow Slack call for one change never holds up the cards of the others). The
        batch's leases are renewed while it is delivered, so however long Slack's pacing makes
        it take, no other relay claims a message still being delivered. A round called for while
        this relay's loop delivers one starts when that one is done, so whoever calls it (a
        drain) knows every message claimed before it was delivered or given up."""
        async with self._round:
            return await self._claim_and_deliver()

    async def _claim_and_deliver(self) -> Round:
        claimed = await self._queue.claim(self.owner, self._batch, self._lease,
                                          self._clock.now())
        lanes: dict[str, list[Claimed]] = {}
        for message in claimed:
            lanes.setdefault(message.change_id or f"#{message.id}", []).append(message)
        tally = Tally({m.id for m in claimed})
        room = asyncio.Semaphore(self._parallel)
        async with running(self._renew(tally)):
            await asyncio.gather(*(self._lane(batch, tally, room) for batch in lanes.values()))
        return Round(len(claimed), tally.delivered, tally.failed, tally.dead, tally.released,
                     tally.deferred)

    async def _renew(self, tally: Tally) -> None:
        """Every third of the lease, extend it for the messages still being delivered."""
        while tally.pending:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                await self._queue.renew(sorted(tally.pending), self.owner,
                                        self._clock.now() + self._lease)
            except Exception:  # the database is away: the leases may still hold until then
                log.exception("outbox leases could not be renewed")

    async def _lane(self, messages: list[Claimed], tally: Tally,
                    room: asyncio.Semaphore) -> None:
        """One change's messages, in order (a run of one batched topic at once); marked
        delivered together at the end."""
        done: list[int] = []
        async with room:
            for position, run in self._runs(messages):
                if self._stopping:  # hand the rest back at once rather than finish them
                    rest = [m.id for m in messages[position:]]
                    await self._queue.release(rest, self.owner)
                    tally.finished(rest, released=True)
                    break
                error, later = await self._deliver(run)
                if error is None and later is not None:
                    self.later.defer(run, later)
                    tally.deferred += len(run)
                    tally.finished([m.id for m in run])
                    continue
                if error is None:
                    done.extend(m.id for m in run)
                    continue
                for message in run:
                    await self._failed(message, error, tally)
            if done:
                await self._queue.mark_delivered_all(done, self._clock.now())
                tally.delivered += len(done)
                tally.finished(done)

    def _runs(self, messages: list[Claimed]) -> list[tuple[int, list[Claimed]]]:
        """Consecutive messages of a batched topic together, any other message alone; each
        with its position in the lane."""
        runs: list[tuple[int, list[Claimed]]] = []
        for position, message in enumerate(messages):
            last = runs[-1][1] if runs else None
            if last and message.topic in self._batched and last[-1].topic == message.topic:
                last.append(message)
            else:
                runs.append((position, [message]))
        return runs

    async def _failed(self, message: Claimed, error: str, tally: Tally) -> None:
        tally.failed += 1
        if await self._give_up(message, error):
            tally.dead += 1
        tally.finished([message.id])

    async def _give_up(self, message: Claimed, error: str) -> bool:
        """Record a failed delivery (retried after a backoff); whether it was dead-lettered."""
        log.warning("outbox message %s (%s) failed, attempt %s: %s",
                    message.id, message.topic, message.attempts, error)
        if await self._queue.mark_failed(message.id, self.owner, error, self._clock.now()):
            await self._raise_alert(message, error)
            return True
        return False

    async def run(self) -> None:
        """Deliver until stopped; sleep `idle` (or until woken) when nothing is due."""
        self._stopping = False
        while not self._stopping:
            await self.later.room()
            try:
                done = await self.run_once()
            except Exception:
                log.exception("outbox relay round failed")
                done = Round()
            if done.claimed < self._batch and not done.released:
                await self._pause()
        await self.later.close()

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

    async def _deliver(self, run: list[Claimed]) -> tuple[str | None, Later | None]:
        """(None, what is left for later, if anything) when delivered, else what went wrong."""
        topic = run[0].topic
        batched = self._batched.get(topic)
        handler = self._handlers.get(topic)
        if batched is None and handler is None:
            return f"no handler for topic {topic!r}", None
        later: Later | None = None
        try:
            async with asyncio.timeout(self._timeout.total_seconds()):
                if batched is not None:
                    later = await batched(run)
                else:
                    assert handler is not None and len(run) == 1
                    await handler(run[0])
        except TimeoutError:
            return f"the handler did not finish within {self._timeout.total_seconds():g} s", None
        except Exception as error:  # a failed delivery is retried, whatever the cause
            return f"{type(error).__name__}: {error}", None
        return None, later

    async def _raise_alert(self, message: Claimed, error: str) -> None:
        log.error("outbox message %s (%s) dead-lettered after %s attempts: %s",
                  message.id, message.topic, message.attempts, error)
        if self._alert is None:
            return
        try:
            await self._alert(message, error)
        except Exception:
            log.exception("the dead-letter alert for message %s failed", message.id)
