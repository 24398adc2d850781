"""Bulk data for bench.scale, written through the same projections the repository writes: settled
changes of every kind, scheduled ones, changes in review (some waiting for the measured
approver), and changes whose approval times out at one chosen moment."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from storage.audit_chain import GENESIS, chain_hash
from storage.sql.engines import Database
from storage.sql.projection import (
    author_rows,
    change_row,
    people_rows,
    plain_json,
    response_rows,
    review_group_rows,
)
from storage.sql.schema import (
    audit_events,
    change_authors,
    change_people,
    change_requests,
    counters,
    responses,
    review_groups,
)
from workflow.codec import event_to_dict
from workflow.events import Event, EventKind
from workflow.model import (
    ChangeRequest,
    Content,
    DryRun,
    Metadata,
    Requirement,
    Response,
    Revision,
    Risk,
    Stage,
    State,
    Timing,
    Verdict,
    WorkflowSnapshot,
)

GROUPS = [f"team-{n:02}" for n in range(20)]
PEOPLE = [f"U{n:04}" for n in range(1000)]
APPROVER, APPROVER_GROUPS = "U0001", ("team-03", "team-07")
SETTLED = [(State.APPLIED, 70), (State.REJECTED, 8), (State.CANCELLED, 8), (State.EXPIRED, 8),
           (State.APPROVED, 3), (State.FAILED, 3)]
BATCH = 5000
TABLES = (change_requests, responses, review_groups, change_authors, change_people,
          audit_events)


def policy_text() -> str:
    """Twenty groups of about fifty; the measured approver is in exactly two of them."""
    lines = ["defaults: {dry_run_ttl: 24h, approval_timeout: 72h, reminder_after: off}",
             "groups:"]
    for n, group in enumerate(GROUPS):
        members = [p for p in PEOPLE[n * 50:(n + 1) * 50] if p != APPROVER]
        if group in APPROVER_GROUPS:
            members = [*members, APPROVER]
        lines.append(f"  {group}: {{members: [{', '.join(members)}]}}")
    lines += ["workflows:", "  - name: review", "    priority: 10",
              "    stages: [{name: Review, require: [{group: team-00, count: 2}]}]"]
    return "\n".join(lines) + "\n"


class Maker:
    """Changes numbered from 1 up, with the audit chain continued across batches."""

    def __init__(self, now: datetime, seed: int = 42) -> None:
        self.now = now
        self.rng = random.Random(seed)
        self.number = 0
        self.seq = 0
        self.prev = GENESIS

    def change(self, state: State, *, groups: tuple[str, ...] | None = None,
               expires_at: datetime | None = None, apply_at: datetime | None = None
               ) -> ChangeRequest:
        rng = self.rng
        self.number += 1
        n = self.number
        pending = state is State.PENDING_REVIEW
        created = self.now - timedelta(minutes=rng.randrange(60 * 48 if pending else 700_000))
        requester = rng.choice([p for p in PEOPLE if p != APPROVER])
        chosen = groups or tuple(rng.sample([g for g in GROUPS if g not in APPROVER_GROUPS], 2))
        stage = Stage("Review", tuple(Requirement(g, 1) for g in chosen))
        digest = f"{n:064x}"
        responders = [p for p in rng.sample(PEOPLE, 2) if p not in (requester, APPROVER)][:1]
        approvals = tuple(Response(p, 1, 0, Verdict.APPROVE, "", digest, frozenset(chosen),
                                   created) for p in responders) if pending else ()
        return ChangeRequest(
            id=f"CHG-{n}", requester=requester, metadata=Metadata(f"change {n}"),
            revisions=(Revision(1, Content("bgp", "update", f"edge-{n % 400}", Risk.HIGH,
                                           f"change {n}"), requester, created),),
            created_at=created, state=state, dry_run=DryRun(1, "+ line", digest, created,
                                                            requester),
            responses=approvals,
            workflow=WorkflowSnapshot("review", (stage,), Timing(timedelta(hours=24)),
                                      policy_version="bench"),
            submitted_at=created, expires_at=expires_at, apply_at=apply_at)

    def rows(self, changes: list[ChangeRequest]) -> dict[Any, list[dict[str, Any]]]:
        """Every row of the changes, and three chained audit events each."""
        tables: dict[Any, list[dict[str, Any]]] = {t: [] for t in TABLES}
        for cr in changes:
            tables[change_requests].append(change_row(cr, cr.created_at))
            tables[responses] += response_rows(cr)
            tables[review_groups] += review_group_rows(cr)
            tables[change_authors] += author_rows(cr)
            tables[change_people] += people_rows(cr)
            for kind in (EventKind.PROPOSED, EventKind.SUBMITTED, EventKind.RESPONSE):
                record = plain_json(event_to_dict(Event(kind, cr.id, cr.requester,
                                                        cr.created_at, 1)))
                digest = chain_hash(self.prev, record)
                self.seq += 1
                tables[audit_events].append({
                    "seq": self.seq, "prev_hash": self.prev, "hash": digest, "change_id": cr.id,
                    "kind": kind.value, "actor": cr.requester, "at": cr.created_at,
                    "record": record})
                self.prev = digest
        return tables


async def write(db: Database, maker: Maker, changes: Iterator[ChangeRequest]) -> int:
    """Insert in batches; returns how many changes were written."""
    written = 0
    batch: list[ChangeRequest] = []
    for cr in changes:
        batch.append(cr)
        if len(batch) == BATCH:
            written += await _flush(db, maker, batch)
            batch = []
    written += await _flush(db, maker, batch)
    async with db.writer.begin() as conn:
        await conn.execute(counters.update().values(value=maker.number))
    return written


async def _flush(db: Database, maker: Maker, batch: list[ChangeRequest]) -> int:
    if not batch:
        return 0
    async with db.writer.begin() as conn:
        for table, rows in maker.rows(batch).items():
            if rows:
                await conn.execute(insert(table), rows)
    return len(batch)


async def analyse(db: Database) -> None:
    async with db.writer.begin() as conn:
        await conn.execute(text("ANALYZE"))


def base_changes(maker: Maker, settled: int, scheduled: int, pending: int, awaiting: int
                 ) -> Iterator[ChangeRequest]:
    """Settled changes, scheduled applies a day out, and changes in review expiring in two days
    (the first `awaiting` of them need one of the approver's groups)."""
    states = [s for s, _ in SETTLED]
    weights = [w for _, w in SETTLED]
    for _ in range(settled):
        yield maker.change(maker.rng.choices(states, weights)[0])
    for _ in range(scheduled):
        yield maker.change(State.SCHEDULED, apply_at=maker.now + timedelta(days=1))
    for n in range(pending):
        groups = (APPROVER_GROUPS[n % 2], "team-11") if n < awaiting else None
        yield maker.change(State.PENDING_REVIEW, groups=groups,
                           expires_at=maker.now + timedelta(days=2))


def expiring(maker: Maker, count: int, at: datetime) -> Iterator[ChangeRequest]:
    """Changes in review whose approval times out at `at`."""
    for _ in range(count):
        yield maker.change(State.PENDING_REVIEW, expires_at=at)
