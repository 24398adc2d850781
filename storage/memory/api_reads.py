"""What the REST API reads, over the in-memory store: the same answers as the SQL queries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime

from storage.audit_chain import AuditRow, VerifyResult, verify_rows
from storage.memory.change_queries import latest_activity
from storage.memory.store import MemoryStore
from storage.migrate import head_revision
from storage.reads import (
    Backlog,
    ChangeFilter,
    ChangePage,
    TopicCounts,
    change_number,
    matches,
)
from workflow.model import ChangeRequest


class MemoryApiReads:
    """Queries over committed in-memory state."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, change_id: str) -> ChangeRequest | None:
        return self._store.changes.get(change_id)

    async def changes(self, where: ChangeFilter, before: int | None, limit: int) -> ChangePage:
        numbered = sorted(
            ((change_number(cr.id), cr) for cr in self._store.changes.values()),
            key=lambda pair: pair[0], reverse=True,
        )
        active = latest_activity(self._store) if where.needs_action is not None else {}
        found = [(n, cr) for n, cr in numbered
                 if (before is None or n < before) and matches(cr, where, active.get(cr.id))]
        page = found[:limit]
        more = len(found) > limit
        return ChangePage([cr for _, cr in page], page[-1][0] if more else None)

    async def history(self, change_id: str) -> list[AuditRow]:
        return await self.audit(change_id=change_id, limit=None)

    async def audit(
        self, *, since: datetime | None = None, change_id: str | None = None, after: int = 0,
        limit: int | None = 500, kinds: Collection[str] = (),
    ) -> list[AuditRow]:
        found = [
            row for row in self._store.audit
            if row.seq > after
            and (change_id is None or row.record.get("change_id") == change_id)
            and (since is None or datetime.fromisoformat(str(row.record["at"])) >= since)
            and (not kinds or row.record.get("kind") in kinds)
        ]
        return found if limit is None else found[:limit]

    async def verify(self) -> VerifyResult:
        return verify_rows(self._store.audit)

    async def head(self) -> AuditRow | None:
        return self._store.audit[-1] if self._store.audit else None

    async def count_by_state(self) -> dict[str, int]:
        return dict(Counter(cr.state.value for cr in self._store.changes.values()))

    async def backlog(self) -> Backlog:
        """As the in-memory outbox queue sees it (messages it has not delivered or given up on)."""
        waiting: list[datetime] = []
        dead = 0
        counts: dict[str, Counter[str]] = {}
        for position, queued_at in enumerate(self._store.outbox_at, start=1):
            state = self._store.outbox_state.get(position)
            topic = counts.setdefault(self._store.outbox[position - 1].topic, Counter())
            if state is not None and state.dead_at is not None:
                dead += 1
                topic["dead"] += 1
            elif state is None or state.delivered_at is None:
                waiting.append(queued_at)
                topic["pending"] += 1
            else:
                topic["delivered"] += 1
        topics = {name: TopicCounts(c["pending"], c["delivered"], c["dead"])
                  for name, c in counts.items()}
        return Backlog(len(waiting), dead, min(waiting, default=None), topics)

    async def schema_revision(self) -> str | None:
        """Memory has no migrations: it is always what the code expects."""
        return head_revision()
