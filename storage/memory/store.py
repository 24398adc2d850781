"""In-memory adapters of every port: the reference the database adapters must behave like."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from storage.audit_chain import GENESIS, AuditRow, chain_hash
from storage.leases import lease_duration, process_owner, utc_now
from storage.outbox_rules import MAX_ATTEMPTS, SIBLINGS, Delivery, backoff
from storage.ports.deadlines import Deadline
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
    outbox_at: list[datetime] = field(default_factory=list)  # when each message was queued
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    outbox_state: dict[int, OutboxState] = field(default_factory=dict)  # by message id
    receipts: dict[str, datetime] = field(default_factory=dict)  # gestures decided, first seen
    apply_leases: dict[str, ApplyLease] = field(default_factory=dict)  # by change id


@dataclass(frozen=True, slots=True)
class ApplyLease:
    """Who runs a started apply, and until when without renewal."""

    key: str
    owner: str
    until: datetime


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """This process's name on its apply leases, and how long one lasts."""

    owner: str
    lease: timedelta

    def lease_for(self, key: str) -> ApplyLease:
        return ApplyLease(key, self.owner, datetime.now(UTC) + self.lease)


class MemoryChanges:
    """Change repository staging writes until commit, with version compare-and-set."""

    def __init__(self, store: MemoryStore, holder: LeaseHolder) -> None:
        self._store = store
        self._holder = holder
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

    async def get_many(self, change_ids: Sequence[str]) -> dict[str, ChangeRequest]:
        found = {change_id: await self.get(change_id) for change_id in change_ids}
        return {change_id: cr for change_id, cr in found.items() if cr is not None}

    async def update_many(self, saves: Sequence[tuple[ChangeRequest, int]]) -> None:
        for change, expected in saves:
            await self.update(change, expected)

    async def abandoned_applies(self) -> Sequence[str]:
        now = datetime.now(UTC)
        found = []
        for cr in self._store.changes.values():
            lease = self._store.apply_leases.get(cr.id)
            if cr.state is State.EXECUTING and (
                lease is None or lease.until <= now or lease.owner != self._holder.owner
            ):  # one process: another holder is gone
                found.append(cr.id)
        return found

    async def renew_apply_lease(self, change_id: str, key: str) -> timedelta | None:
        lease = self._store.apply_leases.get(change_id)
        if lease is None or lease.key != key or lease.owner != self._holder.owner:
            return None
        self._store.apply_leases[change_id] = self._holder.lease_for(key)
        return self._holder.lease

    async def release_apply_lease(self, change_id: str, key: str) -> None:
        lease = self._store.apply_leases.get(change_id)
        if lease is not None and lease.key == key and lease.owner == self._holder.owner:
            del self._store.apply_leases[change_id]

    def follow_applies(self) -> None:
        """At commit: hold the applies the staged saves started, drop those that ended."""
        leases = self._store.apply_leases
        for change, _ in self.staged.values():
            if change.apply is None:
                continue
            if change.state is not State.EXECUTING:
                leases.pop(change.id, None)
            elif change.id not in leases or leases[change.id].key != change.apply.key:
                leases[change.id] = self._holder.lease_for(change.apply.key)

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
                        raise DuplicateRequest(other)
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


class MemoryReceipts:
    """Gesture keys staged until commit, refused when the store holds one already."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.staged: dict[str, datetime] = {}

    async def take_all(self, keys: Sequence[str], at: datetime) -> set[str]:
        taken = {key for key in keys
                 if key not in self._store.receipts and key not in self.staged}
        self.staged.update(dict.fromkeys(taken, at))
        return taken


class MemoryUnitOfWork:
    """All-or-nothing commit of staged writes into the shared store."""

    def __init__(self, store: MemoryStore, holder: LeaseHolder | None = None,
                 now: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._now = now
        self.changes = MemoryChanges(store, holder or LeaseHolder(process_owner(),
                                                                   lease_duration()))
        self.audit = MemoryAudit()
        self.outbox = MemoryOutbox()
        self.receipts = MemoryReceipts(store)

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
        self.receipts.staged.clear()

    async def commit(self) -> None:
        await asyncio.sleep(0)
        self.changes.check()
        self.changes.follow_applies()
        for change, _ in self.changes.staged.values():
            self._store.changes[change.id] = change
        for event in self.audit.staged:
            prev = self._store.audit[-1].hash if self._store.audit else GENESIS
            record = event_to_dict(event)
            seq = len(self._store.audit) + 1
            self._store.audit.append(AuditRow(seq, prev, chain_hash(prev, record), record))
        self._store.outbox.extend(self.outbox.staged)
        self._store.outbox_at.extend([self._now()] * len(self.outbox.staged))
        self._store.receipts.update(self.receipts.staged)
        self.changes.staged.clear()
        self.audit.staged.clear()
        self.outbox.staged.clear()
        self.receipts.staged.clear()


class MemoryUnitOfWorkFactory:
    """Opens units of work over one shared in-memory store."""

    def __init__(self, store: MemoryStore | None = None, *, owner: str | None = None,
                 now: Callable[[], datetime] = utc_now) -> None:
        self.store = store or MemoryStore()
        self.holder = LeaseHolder(owner or process_owner(), lease_duration())
        self._now = now  # bookkeeping time (when a message was queued), as on SQL

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, self.holder, self._now)


class MemoryQueries:
    """Read queries over committed state, shaped like the SQL `Queries`."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def deadline_of(self, change_id: str) -> datetime | None:
        """The change's next deadline, if it exists and has one."""
        cr = self._store.changes.get(change_id)
        return cr.next_deadline if cr is not None else None

    async def deadlines(self, until: datetime | None = None, limit: int = 1000) -> list[Deadline]:
        """Next deadline of every change that has one (up to `until`), soonest first."""
        found = [
            (at, int(cr.id.rpartition("-")[2]), cr.id)
            for cr in self._store.changes.values()
            if (at := cr.next_deadline) is not None and (until is None or at <= until)
        ]
        return [Deadline(change_id, at) for at, _, change_id in sorted(found)[:limit]]


@dataclass
class OutboxState:
    """Delivery bookkeeping of one committed outbox message."""

    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    delivered_at: datetime | None = None
    dead_at: datetime | None = None
    last_error: str | None = None


class MemoryOutboxQueue:
    """The relay's side of the in-memory outbox: claim with a lease, mark delivered or failed.

    Message ids are positions in `MemoryStore.outbox` counted from 1; the list itself is unchanged.
    """

    def __init__(self, store: MemoryStore, max_attempts: int = MAX_ATTEMPTS) -> None:
        self._store = store
        self._max_attempts = max_attempts

    def state(self, message_id: int) -> OutboxState:
        """Bookkeeping of one message, created on first use."""
        return self._store.outbox_state.setdefault(message_id, OutboxState())

    async def claim(
        self, owner: str, limit: int, lease: timedelta, now: datetime
    ) -> list[Delivery]:
        """The `limit` oldest due messages and the later due messages of the same changes,
        leased to `owner` until `now + lease`, oldest first."""
        claimed: list[Delivery] = []
        elsewhere = self._held_elsewhere(owner, now)
        changes: set[str] = set()
        siblings = 0
        for index, message in enumerate(self._store.outbox):
            if len(claimed) >= limit and (message.change_id not in changes
                                          or siblings >= limit * SIBLINGS):
                continue
            state = self.state(index + 1)
            if state.delivered_at or state.dead_at:
                continue
            if state.next_attempt_at is not None and state.next_attempt_at > now:
                continue
            if state.lease_until is not None and state.lease_until > now:
                continue
            if message.change_id is not None and message.change_id in elsewhere:
                continue
            if len(claimed) >= limit:
                siblings += 1
            elif message.change_id is not None:
                changes.add(message.change_id)
            state.lease_owner, state.lease_until = owner, now + lease
            state.attempts += 1
            claimed.append(Delivery(index + 1, message.topic, message.change_id,
                                    dict(message.payload), state.attempts))
        return claimed

    def _held_elsewhere(self, owner: str, now: datetime) -> set[str]:
        """Changes one of whose messages another relay is delivering."""
        return {
            message.change_id for index, message in enumerate(self._store.outbox)
            if message.change_id is not None
            and (state := self._store.outbox_state.get(index + 1)) is not None
            and state.delivered_at is None and state.dead_at is None
            and state.lease_until is not None and state.lease_until > now
            and state.lease_owner != owner
        }

    async def release(self, message_ids: Sequence[int], owner: str) -> None:
        """Hand back messages claimed but not attempted: claimable again at once, uncounted."""
        for message_id in message_ids:
            state = self.state(message_id)
            if state.lease_owner == owner and state.delivered_at is None:
                state.lease_owner, state.lease_until = None, None
                state.attempts -= 1

    async def renew(self, message_ids: Sequence[int], owner: str, until: datetime) -> None:
        """Extend the lease of messages this owner is still delivering."""
        for message_id in message_ids:
            state = self.state(message_id)
            if state.lease_owner == owner and state.delivered_at is None:
                state.lease_until = until

    async def mark_delivered(self, message_id: int, now: datetime) -> bool:
        """Delivered: never claimed again. False if it was already marked."""
        state = self.state(message_id)
        if state.delivered_at is not None:
            return False
        state.delivered_at, state.lease_owner, state.lease_until = now, None, None
        state.last_error = None
        return True

    async def mark_delivered_all(self, message_ids: Sequence[int], now: datetime) -> int:
        """Mark several delivered; how many were not marked before."""
        return sum([await self.mark_delivered(message_id, now) for message_id in message_ids])

    async def mark_failed(self, message_id: int, owner: str, error: str, now: datetime) -> bool:
        """Retry later with backoff; True when this failure dead-lettered the message."""
        state = self.state(message_id)
        if state.lease_owner != owner or state.delivered_at or state.dead_at:
            return False
        dead = state.attempts >= self._max_attempts
        state.lease_owner, state.lease_until, state.last_error = None, None, error
        state.next_attempt_at = now + backoff(state.attempts)
        state.dead_at = now if dead else None
        return dead

    async def dead_letters(self, limit: int = 100) -> list[Delivery]:
        """Messages that will not be retried, for an operator to look at."""
        dead = [
            Delivery(i + 1, m.topic, m.change_id, dict(m.payload), self.state(i + 1).attempts)
            for i, m in enumerate(self._store.outbox) if self.state(i + 1).dead_at is not None
        ]
        return dead[:limit]
