"""Ports: what the engine needs from the outside world, as Protocols adapters implement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from workflow.events import Event
from workflow.model import ApplyStatus, ChangeRequest, GroupDef


class Clock(Protocol):
    """Source of the current time; tests use a clock they move by hand."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class ChangeRepository(Protocol):
    """Change requests by id, saved with a version compare-and-set."""

    async def next_id(self) -> str:
        """A fresh id such as `CHG-42`."""
        ...

    async def get(self, change_id: str) -> ChangeRequest | None:
        """The stored change, or None."""
        ...

    async def find_by_idempotency_key(self, requester: str, key: str) -> ChangeRequest | None:
        """The change a requester already created with this key, if any."""
        ...

    async def add(self, change: ChangeRequest) -> None:
        """Insert a new change; raise DuplicateRequest when its idempotency key was used."""
        ...

    async def update(self, change: ChangeRequest, expected_version: int) -> None:
        """Replace the change if stored at `expected_version`, else raise ConcurrencyConflict.

        Saving a change that has just started its apply makes this process the apply's holder,
        under a lease it renews (`renew_apply_lease`) while the executor runs.
        """
        ...

    async def get_many(self, change_ids: Sequence[str]) -> dict[str, ChangeRequest]:
        """Several stored changes by id; missing ones are left out."""
        ...

    async def update_many(self, saves: Sequence[tuple[ChangeRequest, int]]) -> None:
        """`update` for several (change, expected version) pairs; ConcurrencyConflict when any
        one was saved by someone else first (the unit of work is then rolled back)."""
        ...

    async def abandoned_applies(self) -> Sequence[str]:
        """Ids of executing changes no live process holds: the holder's lease ran out or was
        released. Where only one process can run (SQLite, memory), any other holder is gone."""
        ...

    async def renew_apply_lease(self, change_id: str, key: str) -> timedelta | None:
        """Extend this process's hold on a running apply; how long it now lasts, or None when
        the process no longer holds it."""
        ...

    async def release_apply_lease(self, change_id: str, key: str) -> None:
        """Give up this process's hold: the apply's outcome will not be recorded by it."""
        ...


class AuditLog(Protocol):
    """Append-only, hash-chained record of every event, written in the command's transaction."""

    async def append(self, events: Sequence[Event]) -> Sequence[int] | None:
        """Chain and store the events in order; the audit seq of each, or None where seqs are
        given only at commit (memory)."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A side effect to deliver after commit (card update, notification, executor call)."""

    topic: str
    change_id: str | None
    payload: Mapping[str, object] = field(default_factory=dict)


class Outbox(Protocol):
    """Side effects queued in the same transaction as the state change."""

    async def put(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue messages for the relay."""
        ...


class Receipts(Protocol):
    """Keys of the gestures (a submitted form) whose decision was committed: written in the
    deciding transaction, so a gesture is decided once, and one decision is one commit."""

    async def take_all(self, keys: Sequence[str], at: datetime) -> set[str]:
        """Record `keys` with this unit of work, in one statement; the keys taken now (one a
        committed gesture holds already was replayed: it is left out)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: the repositories share it; leaving without commit rolls back."""

    @property
    def changes(self) -> ChangeRepository: ...

    @property
    def receipts(self) -> Receipts: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def outbox(self) -> Outbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every write of this unit durable at once."""
        ...


class UnitOfWorkFactory(Protocol):
    """Opens a fresh unit of work per command."""

    def __call__(self) -> UnitOfWork: ...


class Directory(Protocol):
    """Group membership (explicit lists or Slack user groups), read outside any transaction."""

    async def groups_of(self, person: str) -> frozenset[str]:
        """Names of the policy groups the person belongs to right now."""
        ...

    async def within(self, groups: Iterable[GroupDef], person: str) -> frozenset[GroupDef]:
        """Which of these group definitions (a change's own) hold the person right now."""
        ...


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an executor reports for an apply."""

    status: ApplyStatus
    output: str = ""


class Executor(Protocol):
    """Runs the dry-run and the apply of a change; never called inside a transaction."""

    async def dry_run(self, change: ChangeRequest) -> str:
        """The dry-run output (diff or impact text) for the current revision."""
        ...

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult | None:
        """Apply once under idempotency `key`; None when an outside pipeline reports later."""
        ...


@runtime_checkable
class Abortable(Protocol):
    """An executor that can stop an apply it runs (a process group, an abort URL)."""

    def cannot_abort(self, change: ChangeRequest) -> str | None:
        """Why this executor cannot stop the change's apply; None when it can."""
        ...

    async def abort(self, change: ChangeRequest, key: str) -> None:
        """Ask the running apply `key` to stop; its outcome is still the apply's to report."""
        ...


class ExecutorRegistry(Protocol):
    """Finds the executor bound to a change's family; None when results come from outside."""

    def for_change(self, change: ChangeRequest) -> Executor | None: ...
