"""The outbox relay over every queue, memory, SQLite and PostgreSQL: order, backoff, dead
letters, alerts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.outbox.later import Later, LaterPhase
from bot.outbox.relay import Relay
from storage.ports.outbox import Claimed, OutboxQueue
from tests.support.clock import TestClock
from tests.support.ports import Ports
from workflow.ports import OutboxMessage, UnitOfWorkFactory

TOPIC = "change.event"


@dataclass
class Outbox:
    """A queue and a way to commit messages into it."""

    uow: UnitOfWorkFactory
    queue: Callable[[int], OutboxQueue]  # max_attempts -> queue

    async def put(self, *change_ids: str, topic: str = TOPIC) -> None:
        async with self.uow() as uow:
            await uow.outbox.put([OutboxMessage(topic, c, {"n": c}) for c in change_ids])
            await uow.commit()


@pytest.fixture
def outbox(ports: Ports) -> Outbox:
    return Outbox(ports.uow, ports.again().queue)


@dataclass
class Sink:
    """An idempotent receiver: remembers every id it was given, fails while told to."""

    failures_left: int = 0
    seen: list[int] = field(default_factory=list)
    payloads: list[object] = field(default_factory=list)
    delivered: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, message: Claimed) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("slack is down")
        self.seen.append(message.id)
        self.payloads.append(message.payload)
        self.delivered.set()


async def test_messages_are_delivered_once_in_order(outbox: Outbox) -> None:
    await outbox.put("CHG-1", "CHG-2", "CHG-3")
    sink, clock = Sink(), TestClock()
    relay = Relay(outbox.queue(8), clock, {TOPIC: sink}, owner="r1")
    done = await relay.run_once()
    assert (done.claimed, done.delivered, done.failed) == (3, 3, 0)
    assert sink.payloads == [{"n": "CHG-1"}, {"n": "CHG-2"}, {"n": "CHG-3"}]
    clock.advance(days=1)
    assert (await relay.run_once()).claimed == 0


async def test_failures_back_off_then_succeed(outbox: Outbox) -> None:
    await outbox.put("CHG-1")
    sink, clock = Sink(failures_left=2), TestClock()
    relay = Relay(outbox.queue(8), clock, {TOPIC: sink}, owner="r1")
    assert (await relay.run_once()).failed == 1
    clock.advance(seconds=4)
    assert (await relay.run_once()).claimed == 0  # first retry after 5s
    clock.advance(seconds=1)
    assert (await relay.run_once()).failed == 1
    clock.advance(seconds=9)
    assert (await relay.run_once()).claimed == 0  # then 10s
    clock.advance(seconds=1)
    assert (await relay.run_once()).delivered == 1
    assert len(sink.seen) == 1


async def test_after_the_last_attempt_a_message_is_dead_and_alerted_once(
    outbox: Outbox,
) -> None:
    await outbox.put("CHG-1", "CHG-2")
    alerts: list[tuple[str | None, int, str]] = []

    async def alert(message: Claimed, error: str) -> None:
        alerts.append((message.change_id, message.attempts, error))

    async def picky(message: Claimed) -> None:
        if message.change_id == "CHG-1":
            raise ConnectionError("channel_not_found")

    clock = TestClock()
    queue = outbox.queue(3)
    relay = Relay(queue, clock, {TOPIC: picky}, alert=alert, owner="r1")
    for _ in range(5):
        await relay.run_once()
        clock.advance(hours=1)
    assert alerts == [("CHG-1", 3, "ConnectionError: channel_not_found")]
    dead = await queue.dead_letters()  # type: ignore[attr-defined]
    assert [d.change_id for d in dead] == ["CHG-1"]


async def test_a_topic_without_handler_fails_visibly(outbox: Outbox) -> None:
    await outbox.put("CHG-1", topic="mystery")
    alerts: list[str] = []

    async def alert(message: Claimed, error: str) -> None:
        alerts.append(error)

    relay = Relay(outbox.queue(1), TestClock(), {}, alert=alert, owner="r1")
    assert (await relay.run_once()).dead == 1
    assert alerts == ["no handler for topic 'mystery'"]


async def test_a_handler_that_hangs_is_cut_off_and_failed(outbox: Outbox) -> None:
    await outbox.put("CHG-1")

    async def stuck(message: Claimed) -> None:
        await asyncio.Event().wait()

    relay = Relay(outbox.queue(8), TestClock(), {TOPIC: stuck}, owner="r1",
                  lease=timedelta(milliseconds=200), timeout=timedelta(milliseconds=160))
    assert (await relay.run_once()).failed == 1


async def test_two_relays_deliver_every_message_exactly_once(outbox: Outbox) -> None:
    ids = [f"CHG-{n}" for n in range(40)]
    await outbox.put(*ids)
    sink, clock = Sink(), TestClock()
    relays = [Relay(outbox.queue(8), clock, {TOPIC: sink}, owner=f"r{i}", batch=7)
              for i in range(2)]
    for _ in range(10):
        await asyncio.gather(*(r.run_once() for r in relays))
    assert sorted(sink.seen) == sorted(set(sink.seen)) and len(sink.seen) == 40


async def test_the_loop_delivers_when_woken_and_stops(outbox: Outbox) -> None:
    sink = Sink()
    relay = Relay(outbox.queue(8), TestClock(), {TOPIC: sink}, owner="r1",
                  idle=timedelta(seconds=30))
    task = asyncio.create_task(relay.run())
    try:
        await outbox.put("CHG-1")
        relay.wake()
        await asyncio.wait_for(sink.delivered.wait(), 10)
        assert len(sink.seen) == 1
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def test_a_batched_topic_gets_each_changes_messages_in_one_call(outbox: Outbox) -> None:
    """A relay that fell behind hands a change's backlog over at once (one Slack post)."""
    await outbox.put("CHG-1", "CHG-2", "CHG-1", "CHG-1")
    calls: list[list[object]] = []

    async def many(messages: Sequence[Claimed]) -> None:
        calls.append([m.payload for m in messages])

    relay = Relay(outbox.queue(8), TestClock(), {}, batched={TOPIC: many}, owner="r1")
    done = await relay.run_once()
    assert (done.claimed, done.delivered) == (4, 4)
    assert sorted(calls, key=len) == [[{"n": "CHG-2"}], [{"n": "CHG-1"}] * 3]


async def test_a_failed_batch_fails_each_of_its_messages(outbox: Outbox) -> None:
    """Every message of a batch that could not be delivered is retried later, none lost."""
    await outbox.put("CHG-1", "CHG-1")
    clock = TestClock()
    attempts: list[int] = []

    async def flaky(messages: Sequence[Claimed]) -> None:
        attempts.append(len(messages))
        if len(attempts) == 1:
            raise ConnectionError("slack is down")

    relay = Relay(outbox.queue(8), clock, {}, batched={TOPIC: flaky}, owner="r1")
    first = await relay.run_once()
    assert (first.claimed, first.delivered, first.failed) == (2, 0, 2)
    clock.advance(minutes=5)
    second = await relay.run_once()
    assert (second.claimed, second.delivered, attempts) == (2, 2, [2, 2])


async def test_a_round_asked_for_during_a_round_starts_when_that_one_is_done(
    outbox: Outbox
) -> None:
    """What a drain relies on while the relay's loop runs: when its round returns, everything
    the loop had claimed before is delivered, and nothing is delivered out of turn meanwhile."""
    await outbox.put("CHG-1", "CHG-2")
    order: list[str] = []
    started, go = asyncio.Event(), asyncio.Event()

    async def sink(message: Claimed) -> None:
        name = str(message.payload["n"])
        order.append(f"start {name}")
        if name == "CHG-1":
            started.set()
            await go.wait()
        order.append(f"end {name}")

    relay = Relay(outbox.queue(8), TestClock(), {TOPIC: sink}, owner="r1", batch=1)
    loop_round = asyncio.create_task(relay.run_once())
    await started.wait()
    drain_round = asyncio.create_task(relay.run_once())
    for _ in range(20):  # every task ready to run gets its turns, without waiting on time
        await asyncio.sleep(0)
    go.set()
    drained = await drain_round

    assert loop_round.done() and (await loop_round).delivered == 1
    assert drained.delivered == 1
    assert order == ["start CHG-1", "end CHG-1", "start CHG-2", "end CHG-2"]


async def test_second_phases_run_after_every_first_phase_then_their_messages_are_delivered(
    outbox: Outbox
) -> None:
    """Cards first: each change's second phase (its DMs) waits for every change's first phase
    (its card) claimed with it, and its messages count as delivered only once it ran."""
    await outbox.put("CHG-1", "CHG-2", "CHG-3")
    order: list[str] = []

    async def cards_first(messages: Sequence[Claimed]) -> Later:
        name = str(messages[0].payload["n"])
        order.append(f"card {name}")

        async def later() -> None:
            order.append(f"dms {name}")
        return later

    clock = TestClock()
    relay = Relay(outbox.queue(8), clock, {}, batched={TOPIC: cards_first}, owner="r1")
    done = await relay.run_once()
    assert (done.claimed, done.delivered, done.deferred) == (3, 0, 3)
    await relay.later.settled()

    assert order[:3] == ["card CHG-1", "card CHG-2", "card CHG-3"]
    assert sorted(order[3:]) == ["dms CHG-1", "dms CHG-2", "dms CHG-3"]
    assert relay.later.delivered == 3
    clock.advance(days=1)
    assert (await relay.run_once()).claimed == 0


async def test_a_failed_second_phase_is_retried_with_its_first(outbox: Outbox) -> None:
    """A second phase that fails leaves its messages to be delivered again, none lost."""
    await outbox.put("CHG-1")
    attempts: list[str] = []

    async def flaky_dms(messages: Sequence[Claimed]) -> Later:
        attempts.append("card")

        async def later() -> None:
            attempts.append("dms")
            if attempts.count("dms") == 1:
                raise ConnectionError("slack is down")
        return later

    clock = TestClock()
    relay = Relay(outbox.queue(8), clock, {}, batched={TOPIC: flaky_dms}, owner="r1")
    await relay.run_once()
    await relay.later.settled()
    assert relay.later.delivered == 0
    clock.advance(minutes=5)
    assert (await relay.run_once()).claimed == 1
    await relay.later.settled()
    assert (attempts, relay.later.delivered) == (["card", "dms", "card", "dms"], 1)


async def test_second_phases_not_started_when_the_relay_stops_are_handed_back(
    outbox: Outbox
) -> None:
    """A stopping relay releases what it had not begun, so another replica sends it now."""
    await outbox.put("CHG-1", "CHG-2")
    started, go = asyncio.Event(), asyncio.Event()

    async def slow_dms(messages: Sequence[Claimed]) -> Later:
        async def later() -> None:
            started.set()
            await go.wait()
        return later

    relay = Relay(outbox.queue(8), TestClock(), {}, batched={TOPIC: slow_dms}, owner="r1")
    relay.later = LaterPhase(outbox.queue(8), TestClock(), "r1", timedelta(minutes=1),
                             timedelta(minutes=1), relay._give_up, parallel=1)
    await relay.run_once()
    await started.wait()
    closing = asyncio.create_task(relay.later.close())
    for _ in range(20):
        await asyncio.sleep(0)
    go.set()
    await closing

    other = await outbox.queue(8).claim("r2", 10, timedelta(minutes=1), TestClock().now())
    assert len(other) == 1  # the one not begun; the one running finished
    assert relay.later.delivered == 1
