"""In-memory adapters of every port: the reference the database adapters must behave like."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self

from storage.audit_chain import GENESIS, AuditRow, chain_hash
from workflow.codec import event_to_dict
from workflow.errors import ConcurrencyConflict, DuplicateRequest
from workflow.events import Event
from workflow.model import ChangeRequest, State
from workflow.ports import OutboxMessage


@dataclass
class MemoryStore:
    """Committed state shared by every unit of work of one process."""

    changes: dict[str, ChangeRequest] = field(default_factory=dict)
    audit: list[AuditRow] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class MemoryChanges:
    """Change repository staging writes until commit, with version compare-and-set."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.staged: dict[str, tuple[ChangeRequest, int | None]] = {}

    async def next_id(self) -> str:
        return f"CHG-{next(self._store.ids)}"

    async def get(self, change_id: str) -> ChangeRequest | None:
        await asyncio.sleep(0)  # let concurrent units of work interleave, as real sessions do
        if change_id in self.staged:
            return self.staged[change_id][0]
        return self._store.changes.get(change_id)

    async def find_by_idempotency_key(self, requester: str, key: str) -> ChangeRequest | None:
        for cr in self._store.changes.values():
            if cr.requester == requester and cr.idempotency_key == key:
                return cr
        return None

    async def add(self, change: ChangeRequest) -> None:
        self.staged[change.id] = (change, None)

    async def update(self, change: ChangeRequest, expected_version: int) -> None:
        stored = self._store.changes.get(change.id)
        if stored is None or stored.version != expected_version:
            raise ConcurrencyConflict(change.id)
        self.staged[change.id] = (change, expected_version)

    async def due(self, now: datetime, limit: int = 500) -> Sequence[str]:
        due = [
            cr.id for cr in self._store.changes.values()
            if any(t is not None and t <= now for t in (cr.expires_at, cr.remind_at, cr.apply_at))
        ]
        return due[:limit]

    async def in_state_executing(self) -> Sequence[str]:
        return [cr.id for cr in self._store.changes.values() if cr.state is State.EXECUTING]

    def check(self) -> None:
        """Re-check every staged write against committed state, as a database would at commit."""
        for change, expected in self.staged.values():
            stored = self._store.changes.get(change.id)
            if expected is None:
                if stored is not None:
                    raise ConcurrencyConflict(change.id)
                key = change.idempotency_key
                for other in self._store.changes.values():
                    if key and other.requester == change.requester and other.idempotency_key == key:
                        raise DuplicateRequest(other.id)
            elif stored is None or stored.version != expected:
                raise ConcurrencyConflict(change.id)


class MemoryAudit:
    """Audit log staging events until commit, chained at commit time."""

    def __init__(self) -> None:
        self.staged: list[Event] = []

    async def append(self, events: Sequence[Event]) -> None:
        self.staged.extend(events)


class MemoryOutbox:
    """Outbox staging messages until commit."""

    def __init__(self) -> None:
        self.staged: list[OutboxMessage] = []

    async def put(self, messages: Sequence[OutboxMessage]) -> None:
        self.staged.extend(messages)


class MemoryUnitOfWork:
    """All-or-nothing commit of staged writes into the shared store."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.changes = MemoryChanges(store)
        self.audit = MemoryAudit()
        self.outbox = MemoryOutbox()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.changes.staged.clear()
        self.audit.staged.clear()
        self.outbox.staged.clear()

    async def commit(self) -> None:
        await asyncio.sleep(0)
        self.changes.check()
        for change, _ in self.changes.staged.values():
            self._store.changes[change.id] = change
        for event in self.audit.staged:
            prev = self._store.audit[-1].hash if self._store.audit else GENESIS
            record = event_to_dict(event)
            seq = len(self._store.audit) + 1
            self._store.audit.append(AuditRow(seq, prev, chain_hash(prev, record), record))
        self._store.outbox.extend(self.outbox.staged)
        self.changes.staged.clear()
        self.audit.staged.clear()
        self.outbox.staged.clear()


class MemoryUnitOfWorkFactory:
    """Opens units of work over one shared in-memory store."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store)
