"""The outbox on SQL: concurrent claimers never share a row, and a locked row is skipped (the
rest of the queue's contract is tests/contract/test_outbox_queue.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.outbox_rules import backoff
from storage.sql.engines import Database
from storage.sql.outbox import SqlOutboxQueue
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


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30) == timedelta(hours=1)


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_claimers_never_get_the_same_row(db: Database, round_: int) -> None:
    await queue(db, 120)
    relay = SqlOutboxQueue(db)

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
    relay = SqlOutboxQueue(db)
    async with db.writer.connect() as other:
        await other.begin()
        locked = await other.scalar(
            select(outbox.c.id).order_by(outbox.c.id).limit(1).with_for_update()
        )
        claimed = await asyncio.wait_for(relay.claim("a", 10, LEASE, T0), timeout=5)
        await other.rollback()
    assert locked not in [d.id for d in claimed]
    assert len(claimed) == 2
