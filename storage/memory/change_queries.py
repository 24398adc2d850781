"""The Slack side's read queries (storage.ports.change_queries) over the in-memory store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.memory.store import MemoryStore
from storage.ports.change_queries import REFUSED, AuditAnchor, Settled
from storage.reads import Page, approved_by, awaits, change_number, needs_action
from workflow.model import TERMINAL_STATES, ChangeRequest, State
from workflow.rules_post_review import needs_review

IN_REVIEW = frozenset({State.DRAFT, State.PENDING_REVIEW})


class MemoryChangeQueries:
    """The queries over the in-memory store, for tests and the storage-less process."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, change_id: str) -> ChangeRequest | None:
        return self._store.changes.get(change_id)

    async def in_review(self, limit: int) -> Sequence[ChangeRequest]:
        found = [c for c in self._store.changes.values() if c.state is State.PENDING_REVIEW]
        return sorted(found, key=lambda c: (c.created_at, number(c)))[:limit]

    async def awaiting(self, person: str, groups: frozenset[str], limit: int) -> Page:
        found = [cr for cr in await self.in_review(len(self._store.changes))
                 if awaits(cr, person, groups)]
        return Page(len(found), found[:limit])

    async def open_requests(self, person: str, limit: int) -> Page:
        found = [cr for cr in await self.involving(person, len(self._store.changes))
                 if cr.requester == person and cr.state not in TERMINAL_STATES]
        found.sort(key=lambda cr: (cr.created_at, number(cr)), reverse=True)
        return Page(len(found), found[:limit])

    async def owed_reviews(self, person: str, limit: int) -> Page:
        found = sorted((cr for cr in self._store.changes.values()
                        if cr.requester == person and needs_review(cr)),
                       key=lambda cr: (cr.created_at, number(cr)))
        return Page(len(found), found[:limit])

    async def needs_action(self, person: str, since: datetime, limit: int) -> Page:
        active = latest_activity(self._store)
        found = sorted((cr for cr in self._store.changes.values()
                        if needs_action(cr, person, since, active.get(cr.id))),
                       key=lambda cr: (cr.created_at, number(cr)), reverse=True)
        return Page(len(found), found[:limit])

    async def approved_by(self, person: str, limit: int) -> Page:
        found = sorted((cr for cr in self._store.changes.values() if approved_by(cr, person)),
                       key=lambda cr: (cr.created_at, number(cr)), reverse=True)
        return Page(len(found), found[:limit])

    async def decided(self, person: str, limit: int) -> Page:
        found = [cr for cr in await self.involving(person, len(self._store.changes))
                 if cr.state not in IN_REVIEW
                 and not (cr.requester == person and cr.state not in TERMINAL_STATES)]
        return Page(len(found), found[:limit])

    async def involving(self, person: str, limit: int) -> Sequence[ChangeRequest]:
        latest = self._latest_seq()
        found = [c for c in self._store.changes.values() if involves(c, person)]
        found.sort(key=lambda c: latest.get(c.id, 0), reverse=True)
        return found[:limit]

    async def anchor(self, change_id: str) -> AuditAnchor | None:
        for row in reversed(self._store.audit):
            if row.record.get("change_id") == change_id:
                return AuditAnchor(row.seq, row.hash)
        return None

    async def settled(self, change_id: str) -> Settled | None:
        for row in reversed(self._store.audit):
            record = row.record
            if record.get("change_id") == change_id and record.get("kind") != REFUSED:
                at = datetime.fromisoformat(str(record["at"]))
                return Settled(str(record["kind"]), str(record["actor"]), at)
        return None

    def _latest_seq(self) -> dict[str, int]:
        """Each change's latest saved activity: a refusal changed nothing, so it is no activity."""
        latest: dict[str, int] = {}
        for row in self._store.audit:
            change_id = row.record.get("change_id")
            if isinstance(change_id, str) and row.record.get("kind") != REFUSED:
                latest[change_id] = row.seq
        return latest


def latest_activity(store: MemoryStore) -> dict[str, datetime]:
    """When each change was last saved (its latest event that was not a refusal), as the SQL
    column `updated_at` holds it."""
    latest: dict[str, datetime] = {}
    for row in store.audit:
        change_id = row.record.get("change_id")
        if isinstance(change_id, str) and row.record.get("kind") != REFUSED:
            latest[change_id] = datetime.fromisoformat(str(row.record["at"]))
    return latest


def number(cr: ChangeRequest) -> int:
    """Ties in time go by the id's number, as the SQL queries order them (CHG-9 before CHG-10)."""
    return change_number(cr.id)


def involves(cr: ChangeRequest, person: str) -> bool:
    """The person requested, wrote, answered or commented on the change."""
    return person in cr.people
