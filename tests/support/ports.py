"""Every read and queue port over one fresh store, memory, SQLite or PostgreSQL, for the contract
suites: each adapter is built as the process builds it, and `again()` stands for another process
(or replica) over the same store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.memory.api_reads import MemoryApiReads
from storage.memory.cards import MemoryCardStore
from storage.memory.change_queries import MemoryChangeQueries
from storage.memory.store import MemoryOutboxQueue, MemoryQueries, MemoryUnitOfWorkFactory
from storage.memory.tokens import MemoryTokens
from storage.ports.api_reads import ApiReads
from storage.ports.cards import CardStore
from storage.ports.change_queries import ChangeQueries
from storage.ports.deadlines import DeadlineSource
from storage.ports.outbox import OutboxQueue
from storage.ports.tokens import TokenStore
from storage.sql.api_reads import SqlApiReads
from storage.sql.card_store import SqlCardStore
from storage.sql.cards import SqlCards
from storage.sql.change_queries import SqlChangeQueries
from storage.sql.outbox import SqlOutboxQueue
from storage.sql.queries import Queries
from storage.sql.tokens import SqlTokens
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.clock import TestClock
from tests.support.databases import fresh_database
from workflow.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class Adapters:
    """The adapters of one process over the store."""

    change_queries: ChangeQueries
    api_reads: ApiReads
    deadlines: DeadlineSource
    cards: CardStore
    tokens: TokenStore
    queue: Callable[[int], OutboxQueue]  # max attempts -> the relay's queue


@dataclass(frozen=True)
class Ports:
    """One opened store: its unit of work, a test clock, and the adapters over it."""

    name: str
    uow: UnitOfWorkFactory
    clock: TestClock
    adapters: Callable[[], Adapters]

    def again(self) -> Adapters:
        """The adapters another process over the same store would build."""
        return self.adapters()


@asynccontextmanager
async def open_ports(name: str, directory: Path) -> AsyncIterator[Ports]:
    """A fresh, empty store of kind `name` (memory, sqlite or postgres)."""
    clock = TestClock()
    if name == "memory":
        factory = MemoryUnitOfWorkFactory(now=clock.now)
        store = factory.store
        cards, tokens = MemoryCardStore(), MemoryTokens()  # one process: they live in it
        yield Ports(name, factory, clock, lambda: Adapters(
            MemoryChangeQueries(store), MemoryApiReads(store), MemoryQueries(store), cards,
            tokens, lambda n: MemoryOutboxQueue(store, max_attempts=n)))
        return
    async with fresh_database(name, directory) as db:
        yield Ports(name, SqlUnitOfWorkFactory(db, now=clock.now), clock, lambda: Adapters(
            SqlChangeQueries(Queries(db)), SqlApiReads(db), Queries(db),
            SqlCardStore(SqlCards(db), clock), SqlTokens(db),
            lambda n: SqlOutboxQueue(db, max_attempts=n)))
