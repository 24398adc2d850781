"""Storage backends the engine suites run over; each exposes its unit of work and its audit rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.audit_chain import AuditRow
from storage.memory import MemoryUnitOfWorkFactory
from workflow.ports import UnitOfWorkFactory

BACKENDS = ["memory"]


@dataclass
class Backend:
    """One opened backend."""

    name: str
    uow: UnitOfWorkFactory
    audit_rows: Callable[[], Awaitable[Sequence[AuditRow]]]
    tamper: Callable[[int, str], Awaitable[None]]


@asynccontextmanager
async def open_backend(name: str, directory: Path) -> AsyncIterator[Backend]:
    """Open a fresh, empty backend by name."""
    if name != "memory":
        raise ValueError(f"unknown backend {name}")
    factory = MemoryUnitOfWorkFactory()

    async def rows() -> Sequence[AuditRow]:
        return list(factory.store.audit)

    async def tamper(seq: int, actor: str) -> None:
        row = factory.store.audit[seq - 1]
        factory.store.audit[seq - 1] = AuditRow(
            row.seq, row.prev_hash, row.hash, {**row.record, "actor": actor}
        )

    yield Backend(name, factory, rows, tamper)
