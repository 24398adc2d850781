"""Card references survive a restart on SQL and behave like the in-memory store everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.slack.cardstore import CardRef, CardStore, MemoryCardStore, SqlCardStore
from bot.slack.context import Audience
from storage.sql.cards import SqlCards
from tests.support.clock import TestClock
from tests.support.databases import fresh_database

KINDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
async def stores(request: pytest.FixtureRequest, tmp_path: Path
                 ) -> AsyncIterator[tuple[CardStore, CardStore]]:
    """Two stores over the same storage: the second stands for the process after a restart."""
    if request.param == "memory":
        store = MemoryCardStore()
        yield store, store
        return
    async with fresh_database(request.param, tmp_path) as db:
        clock = TestClock()
        yield SqlCardStore(SqlCards(db), clock), SqlCardStore(SqlCards(db), clock)


async def test_copies_are_kept_in_posting_order_and_replaced_in_place(
    stores: tuple[CardStore, CardStore],
) -> None:
    before, after = stores
    await before.save(CardRef("CHG-1", "C0CAB", "100.1", Audience.CHANNEL, "v1"))
    await before.save(CardRef("CHG-1", "D0REQ", "100.2", Audience.REQUESTER, "v1"))
    await before.save(CardRef("CHG-2", "C0CAB", "100.3", Audience.CHANNEL, "v1"))
    await before.save(CardRef("CHG-1", "C0CAB", "100.1", Audience.CHANNEL, "v2"))
    copies = await after.cards("CHG-1")
    assert [(c.channel, c.ts, c.audience, c.rendered) for c in copies] == [
        ("C0CAB", "100.1", Audience.CHANNEL, "v2"),
        ("D0REQ", "100.2", Audience.REQUESTER, "v1"),
    ]
    assert await after.cards("CHG-404") == []
