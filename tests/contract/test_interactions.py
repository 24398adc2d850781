"""Slack interactions seen: one contract for memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from storage.memory.interactions import MemoryInteractions
from storage.ports.interactions import KEEP, PRUNE_EVERY, SeenInteractions
from storage.sql.interactions import SqlInteractions
from tests.support.backends import BACKENDS
from tests.support.databases import fresh_database
from tests.support.samples import T0

Replicas = Callable[[], SeenInteractions]


@pytest.fixture(params=BACKENDS)
async def replica(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Replicas]:
    """Makes the adapter of another replica over the same store."""
    if request.param == "memory":
        shared = MemoryInteractions()
        yield lambda: shared
        return
    async with fresh_database(request.param, tmp_path) as db:
        yield lambda: SqlInteractions(db)


async def test_a_key_is_new_once(replica: Replicas) -> None:
    seen = replica()
    assert await seen.first_sight("a" * 64, T0)
    assert not await seen.first_sight("a" * 64, T0 + timedelta(seconds=1))
    assert await seen.first_sight("b" * 64, T0 + timedelta(seconds=2))
    assert not await replica().first_sight("b" * 64, T0 + timedelta(seconds=3))


async def test_one_key_at_once_on_two_replicas_is_new_exactly_once(replica: Replicas) -> None:
    replicas = [replica(), replica()]

    firsts = await asyncio.gather(*(replicas[i % 2].first_sight("c" * 64, T0)
                                    for i in range(20)))

    assert sorted(firsts) == [False] * 19 + [True]


async def test_keys_are_kept_for_the_window_and_pruned_after_it(replica: Replicas) -> None:
    seen = replica()
    assert await seen.first_sight("old" + "0" * 61, T0)
    later = T0 + KEEP - timedelta(seconds=1)
    assert await seen.first_sight("mid" + "0" * 61, later)  # prunes nothing younger than KEEP
    assert not await seen.first_sight("old" + "0" * 61, later)

    after = T0 + KEEP + PRUNE_EVERY
    assert await seen.first_sight("new" + "0" * 61, after)  # prunes what is older than KEEP

    assert await seen.first_sight("old" + "0" * 61, after)
    assert not await seen.first_sight("mid" + "0" * 61, after)


SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", SQL_BACKENDS)
async def test_keys_asked_for_together_are_written_in_one_transaction(backend: str,
                                                                      tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as db:
        commits: list[object] = []
        event.listen(db.writer.sync_engine, "commit", commits.append)
        seen = SqlInteractions(db)

        firsts = await asyncio.gather(*(seen.first_sight(f"{n:064d}", T0) for n in range(50)))

        assert firsts == [True] * 50
        assert len(commits) == 1  # a click storm does not queue a transaction per click
        assert not await seen.first_sight(f"{7:064d}", T0)


@pytest.mark.parametrize("backend", SQL_BACKENDS)
async def test_a_failed_write_fails_every_asker_of_it_and_the_next_ask_writes_again(
        backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as db:
        seen = SqlInteractions(db)
        failing = True

        def refuse(conn: object, cursor: object, statement: str, *_: object) -> None:
            if failing and "slack_interactions" in statement:
                raise RuntimeError("disk full")

        event.listen(db.writer.sync_engine, "before_cursor_execute", refuse)
        outcomes = await asyncio.gather(*(seen.first_sight(f"{n:064d}", T0) for n in range(3)),
                                        return_exceptions=True)
        assert all(isinstance(o, Exception) for o in outcomes)

        failing = False
        assert await seen.first_sight(f"{1:064d}", T0)  # nothing was half-written
