"""Where approvers' DM digests live, one contract for memory, SQLite and PostgreSQL: one digest
per person, replaced in place, the first one claimed kept, and (on SQL) still known after a
restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage.memory.dm_digests import MemoryDmDigests
from storage.ports.dm_digests import DmDigest, DmDigests
from storage.sql.dm_digests import BATCH, SqlDmDigests
from tests.support.backends import BACKENDS
from tests.support.databases import fresh_database

Again = Callable[[], DmDigests]  # the store as another process (or replica) would open it


@pytest.fixture(params=BACKENDS)
async def again(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Again]:
    if request.param == "memory":
        store = MemoryDmDigests()  # one process: it lives in it
        yield lambda: store
        return
    async with fresh_database(request.param, tmp_path) as db:
        yield lambda: SqlDmDigests(db)


async def test_a_saved_digest_is_found_by_person_and_replaced_in_place(again: Again) -> None:
    before, after = again(), again()  # after: the process restarted
    await before.save(DmDigest("USEN1", "D0SEN1", "100.1", "v1"))
    await before.save(DmDigest("USEN2", "D0SEN2", "100.2", "v1"))
    await before.save(DmDigest("USEN1", "D0SEN1", "100.1", "v2"))

    assert await after.digests(["USEN2", "USEN1", "UNOBODY"]) == [
        DmDigest("USEN1", "D0SEN1", "100.1", "v2"), DmDigest("USEN2", "D0SEN2", "100.2", "v1")]
    assert await after.digests(["UNOBODY"]) == []
    assert await after.digests([]) == []


async def test_a_person_has_one_digest_the_first_claim_keeps(again: Again) -> None:
    first = DmDigest("USEN1", "D0SEN1", "100.1", "a")
    assert await again().claim(first) == first
    assert await again().claim(DmDigest("USEN1", "D0SEN1", "100.9", "b")) == first
    assert await again().digests(["USEN1"]) == [first]

    await again().save(DmDigest("USEN1", "D0SEN1", "100.1", "c"))  # what it shows now
    assert await again().claim(DmDigest("USEN1", "D0SEN1", "100.7", "d")) == DmDigest(
        "USEN1", "D0SEN1", "100.1", "c")


async def test_replicas_claiming_at_once_all_keep_the_same_digest(again: Again) -> None:
    claims = [DmDigest("USEN1", "D0SEN1", f"200.{n}", str(n)) for n in range(8)]
    kept = await asyncio.gather(*(again().claim(claim) for claim in claims))
    assert len(set(kept)) == 1 and kept[0] in claims
    assert await again().digests(["USEN1"]) == [kept[0]]


async def test_many_people_are_read_at_once(again: Again) -> None:
    people = [f"U{n:05d}" for n in range(BATCH + 20)]
    store = again()
    for person in people[::7]:
        await store.save(DmDigest(person, f"D{person}", "1.0"))
    found = await again().digests(people)
    assert [d.person for d in found] == people[::7]
