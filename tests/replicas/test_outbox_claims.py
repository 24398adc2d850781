"""Relays of several replicas share the outbox: a change's messages go to one relay at a time
(so no two replicas post the same card at once), and a relay renews the leases of a batch for as
long as it delivers it, however long Slack's pacing makes that."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.outbox.relay import Relay
from storage.memory.store import MemoryOutboxQueue, MemoryUnitOfWorkFactory
from storage.ports.outbox import Claimed, OutboxQueue
from storage.sql.outbox import SqlOutboxQueue
from storage.sql.schema import outbox as outbox_table
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.builders import T0
from tests.support.clock import TestClock
from tests.support.databases import fresh_database
from workflow.ports import OutboxMessage, UnitOfWorkFactory

LEASE = timedelta(seconds=30)
TOPIC = "change.event"
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Outbox:
    uow: UnitOfWorkFactory
    queue: OutboxQueue

    async def put(self, *change_ids: str) -> None:
        async with self.uow() as uow:
            await uow.outbox.put([OutboxMessage(TOPIC, c, {"n": n})
                                  for n, c in enumerate(change_ids)])
            await uow.commit()


@pytest.fixture(params=BACKENDS)
async def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Outbox]:
    if request.param == "memory":
        factory = MemoryUnitOfWorkFactory()
        yield Outbox(factory, MemoryOutboxQueue(factory.store))
        return
    async with fresh_database(request.param, tmp_path) as db:
        yield Outbox(SqlUnitOfWorkFactory(db, now=lambda: T0), SqlOutboxQueue(db))


async def test_a_claim_takes_the_later_messages_of_its_changes_too(outbox: Outbox) -> None:
    """A relay that fell behind gets a change's backlog at once, to send it as one post."""
    await outbox.put("CHG-1", "CHG-2", "CHG-1", "CHG-3")
    first = await outbox.queue.claim("a", 1, LEASE, T0)
    assert [(m.change_id, m.payload) for m in first] == [("CHG-1", {"n": 0}),
                                                          ("CHG-1", {"n": 2})]


async def test_a_change_held_by_one_relay_is_skipped_by_the_others(outbox: Outbox) -> None:
    await outbox.put("CHG-1", "CHG-2", "CHG-3")
    first = await outbox.queue.claim("a", 1, LEASE, T0)
    assert [m.change_id for m in first] == ["CHG-1"]
    await outbox.put("CHG-1")
    others = await outbox.queue.claim("b", 10, LEASE, T0)
    assert [m.change_id for m in others] == ["CHG-2", "CHG-3"]  # CHG-1's second one waits
    await outbox.queue.mark_delivered_all([first[0].id], T0)
    (rest,) = await outbox.queue.claim("b", 10, LEASE, T0)
    assert (rest.change_id, rest.id) == ("CHG-1", max(m.id for m in others) + 1)


async def test_a_dead_relays_change_is_taken_over_once_its_lease_ran_out(outbox: Outbox) -> None:
    await outbox.put("CHG-1", "CHG-1")
    await outbox.queue.claim("dead", 1, LEASE, T0)
    assert await outbox.queue.claim("b", 10, LEASE, T0 + LEASE / 2) == []
    taken = await outbox.queue.claim("b", 10, LEASE, T0 + LEASE)
    assert [(m.change_id, m.payload) for m in taken] == [("CHG-1", {"n": 0}),
                                                          ("CHG-1", {"n": 1})]


async def test_renewed_leases_keep_a_batch_from_others(outbox: Outbox) -> None:
    await outbox.put("CHG-1")
    (message,) = await outbox.queue.claim("a", 1, LEASE, T0)
    await outbox.queue.renew([message.id], "a", T0 + 2 * LEASE)
    assert await outbox.queue.claim("b", 1, LEASE, T0 + LEASE) == []
    await outbox.queue.renew([message.id], "b", T0 + 9 * LEASE)  # not b's to renew
    assert len(await outbox.queue.claim("b", 1, LEASE, T0 + 2 * LEASE)) == 1


@dataclass
class SlowSink:
    """A delivery that waits (as Slack's pacing would) until let go."""

    go: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    seen: list[int] = field(default_factory=list)

    async def __call__(self, message: Claimed) -> None:
        self.started.set()
        await self.go.wait()
        self.seen.append(message.id)


async def test_a_relay_renews_its_batch_while_delivering(outbox: Outbox) -> None:
    await outbox.put("CHG-1")
    clock = TestClock(T0)
    sink = SlowSink()
    slow = Relay(outbox.queue, clock, {TOPIC: sink}, owner="a",
                 lease=timedelta(milliseconds=300))
    delivering = asyncio.create_task(slow.run_once())
    await asyncio.wait_for(sink.started.wait(), 10)
    clock.advance(seconds=1)  # the first lease has run out: only a renewal keeps the message
    for _ in range(500):  # a renewal comes every 100 ms of real time
        if await lease_until(outbox) > clock.now():
            break
        await asyncio.sleep(0.01)
    assert await outbox.queue.claim("b", 1, timedelta(seconds=1), clock.now()) == []
    sink.go.set()
    done = await delivering
    assert done.delivered == 1 and len(sink.seen) == 1


async def lease_until(outbox: Outbox) -> datetime:
    """The lease of the one stored message."""
    if isinstance(outbox.queue, MemoryOutboxQueue):
        until = outbox.queue.state(1).lease_until
    else:
        assert isinstance(outbox.uow, SqlUnitOfWorkFactory)
        async with outbox.uow.db.reader.connect() as conn:
            until = await conn.scalar(select(outbox_table.c.lease_until))
    return until or T0
