"""The outbox relay's side: leases, retries with backoff, dead letters, no double claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.outbox_rules import backoff
from storage.sql.engines import Database
from storage.sql.outbox import OutboxQueue
from storage.sql.schema import outbox
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.samples import T0
from workflow.ports import OutboxMessage

LEASE = timedelta(seconds=30)


async def queue(db: Database, count: int) -> None:
    async with SqlUnitOfWorkFactory(db, now=lambda: T0)() as uow:
        await uow.outbox.put(
            [OutboxMessage("change.event", f"CHG-{n}", {"n": n}) for n in range(count)]
        )
        await uow.commit()


async def test_a_claim_leases_messages_oldest_first(db: Database) -> None:
    await queue(db, 3)
    relay = OutboxQueue(db)
    first = await relay.claim("a", 2, LEASE, T0)
    assert [(d.change_id, d.payload, d.attempts) for d in first] == [
        ("CHG-0", {"n": 0}, 1), ("CHG-1", {"n": 1}, 1)
    ]
    assert [d.change_id for d in await relay.claim("b", 5, LEASE, T0)] == ["CHG-2"]
    assert await relay.claim("b", 5, LEASE, T0 + LEASE - timedelta(seconds=1)) == []


async def test_an_expired_lease_is_claimed_again(db: Database) -> None:
    await queue(db, 1)
    relay = OutboxQueue(db)
    await relay.claim("crashed", 1, LEASE, T0)
    again = await relay.claim("b", 1, LEASE, T0 + LEASE)
    assert [(d.change_id, d.attempts) for d in again] == [("CHG-0", 2)]


async def test_a_delivered_message_is_never_claimed_again(db: Database) -> None:
    await queue(db, 1)
    relay = OutboxQueue(db)
    (message,) = await relay.claim("a", 1, LEASE, T0)
    assert await relay.mark_delivered(message.id, T0)
    assert not await relay.mark_delivered(message.id, T0)
    assert await relay.claim("a", 1, LEASE, T0 + timedelta(days=1)) == []


async def test_failures_back_off_then_dead_letter(db: Database) -> None:
    await queue(db, 1)
    relay = OutboxQueue(db, max_attempts=3)
    now = T0
    for attempt in (1, 2):
        (message,) = await relay.claim("a", 1, LEASE, now)
        assert message.attempts == attempt
        assert not await relay.mark_failed(message.id, "a", "HTTP 500", now)
        assert await relay.claim("a", 1, LEASE, now + backoff(attempt) - timedelta(seconds=1)) == []
        now += backoff(attempt)
    (message,) = await relay.claim("a", 1, LEASE, now)
    assert await relay.mark_failed(message.id, "a", "HTTP 500", now)
    assert await relay.claim("a", 1, LEASE, now + timedelta(days=30)) == []
    dead = await relay.dead_letters()
    assert [(d.id, d.attempts) for d in dead] == [(message.id, 3)]


async def test_a_relay_that_lost_its_lease_cannot_reschedule(db: Database) -> None:
    await queue(db, 1)
    relay = OutboxQueue(db)
    (message,) = await relay.claim("slow", 1, LEASE, T0)
    await relay.claim("fast", 1, LEASE, T0 + LEASE)
    assert not await relay.mark_failed(message.id, "slow", "timeout", T0 + LEASE)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30) == timedelta(hours=1)


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_claimers_never_get_the_same_row(db: Database, round_: int) -> None:
    await queue(db, 120)
    relay = OutboxQueue(db)

    async def drain(owner: str) -> list[int]:
        mine: list[int] = []
        while batch := await relay.claim(owner, 7, LEASE, T0):
            mine.extend(d.id for d in batch)
            await asyncio.sleep(0)
        return mine

    claimed = await asyncio.gather(*(drain(f"relay-{n}") for n in range(4)))
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 120
    if db.dialect == "postgresql":
        assert sum(1 for ids in claimed if ids) > 1  # they really did run side by side


async def test_rows_another_relay_is_claiming_are_skipped_not_waited_for(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("on SQLite the one writer connection serialises claims")
    await queue(db, 3)
    relay = OutboxQueue(db)
    async with db.writer.connect() as other:
        await other.begin()
        locked = await other.scalar(
            select(outbox.c.id).order_by(outbox.c.id).limit(1).with_for_update()
        )
        claimed = await asyncio.wait_for(relay.claim("a", 10, LEASE, T0), timeout=5)
        await other.rollback()
    assert locked not in [d.id for d in claimed]
    assert len(claimed) == 2
