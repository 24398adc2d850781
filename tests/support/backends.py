"""Storage backends the engine suites run over; each exposes its unit of work and its audit rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.audit_chain import AuditRow
from storage.memory.store import MemoryUnitOfWorkFactory
from storage.sql.audit_trail import AuditTrail
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import fresh_database, outbox_messages, tamper_audit
from workflow.ports import OutboxMessage, UnitOfWorkFactory

# PostgreSQL runs when TEST_DATABASE_URL is set and is skipped, saying so, when it is not.
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Backend:
    """One opened backend."""

    name: str
    uow: UnitOfWorkFactory
    audit_rows: Callable[[], Awaitable[Sequence[AuditRow]]]
    tamper: Callable[[int, str], Awaitable[None]]
    outbox_messages: Callable[[], Awaitable[Sequence[OutboxMessage]]]


@asynccontextmanager
async def open_backend(name: str, directory: Path) -> AsyncIterator[Backend]:
    """Open a fresh, empty backend by name."""
    if name == "memory":
        yield memory_backend()
    elif name in ("sqlite", "postgres"):
        async with fresh_database(name, directory) as db:
            trail = AuditTrail(db)

            async def rows() -> Sequence[AuditRow]:
                return [row async for row in trail.rows()]

            async def tamper(seq: int, actor: str) -> None:
                await tamper_audit(db, seq, actor)

            async def messages() -> Sequence[OutboxMessage]:
                return await outbox_messages(db)

            yield Backend(name, SqlUnitOfWorkFactory(db), rows, tamper, messages)
    else:
        raise ValueError(f"unknown backend {name}")


def memory_backend() -> Backend:
    """The in-memory reference implementation."""
    factory = MemoryUnitOfWorkFactory()

    async def rows() -> Sequence[AuditRow]:
        return list(factory.store.audit)

    async def tamper(seq: int, actor: str) -> None:
        row = factory.store.audit[seq - 1]
        factory.store.audit[seq - 1] = AuditRow(
            row.seq, row.prev_hash, row.hash, {**row.record, "actor": actor}
        )

    async def messages() -> Sequence[OutboxMessage]:
        return list(factory.store.outbox)

    return Backend("memory", factory, rows, tamper, messages)
