"""Loads 100,000 change requests into a SQLite file and prints how long each bot query takes.

Run from the repository root:  python -m bench.queries [--changes 100000] [--path FILE]
or against an empty PostgreSQL database:  python -m bench.queries --url postgresql+asyncpg://…
Not a test: it prints numbers (docs/performance.md records them).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from storage.audit_chain import GENESIS, chain_hash
from storage.database import open_database
from storage.sql.engines import Database
from storage.sql.projection import (
    author_rows,
    change_row,
    plain_json,
    response_rows,
    review_group_rows,
)
from storage.sql.queries import Queries
from storage.sql.schema import (
    audit_events,
    change_authors,
    change_requests,
    counters,
    responses,
    review_groups,
)
from storage.sql.uow import SqlUnitOfWorkFactory
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
    Verdict,
    WorkflowSnapshot,
)
from workflow.ports import OutboxMessage

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
GROUPS = [f"team-{n:02}" for n in range(20)]
PEOPLE = [f"U{n:04}" for n in range(1000)]
STATES = [(State.APPLIED, 70), (State.PENDING_REVIEW, 10), (State.REJECTED, 5),
          (State.CANCELLED, 5), (State.EXPIRED, 5), (State.APPROVED, 3), (State.FAILED, 2)]
APPROVER, APPROVER_GROUPS = "U0001", frozenset({"team-03", "team-07"})
BATCH = 5000
RUNS = 50


def make_change(n: int, rng: random.Random) -> ChangeRequest:
    """One change of a plausible mix: most applied, a tenth waiting for review."""
    state = rng.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
    pending = state is State.PENDING_REVIEW
    window = 72 * 60 if pending else 2 * 365 * 24 * 60  # older ones would have expired
    created = NOW - timedelta(minutes=rng.randrange(window))
    requester = rng.choice(PEOPLE)
    stages = tuple(
        Stage(f"stage {i + 1}", tuple(Requirement(g, 1) for g in rng.sample(GROUPS, 2)))
        for i in range(rng.choice((1, 1, 2)))
    )
    content = Content(rng.choice(("bgp", "dns.zone", "firewall")), "update",
                      f"edge-{n % 400}", Risk.HIGH, f"change {n}")
    digest = f"{n:064x}"
    approvals = tuple(
        Response(person, 1, 0, Verdict.APPROVE, "", digest, frozenset(stages[0].groups), created)
        for person in rng.sample([p for p in PEOPLE if p != requester], rng.choice((0, 1)))
    )
    return ChangeRequest(
        id=f"CHG-{n}", requester=requester, metadata=Metadata(f"change {n}"),
        revisions=(Revision(1, content, requester, created),), created_at=created, state=state,
        dry_run=DryRun(1, "+ line", digest, created, requester),
        responses=approvals if pending else (),
        workflow=WorkflowSnapshot("high", stages, policy_version="bench"), submitted_at=created,
        expires_at=created + timedelta(hours=72) if pending else None,
        remind_at=created + timedelta(hours=4) if pending else None,
    )


def audit_rows(cr: ChangeRequest, seq: int, prev: str) -> tuple[list[dict[str, Any]], str]:
    """Three chained events per change."""
    rows = []
    for kind in (EventKind.PROPOSED, EventKind.SUBMITTED, EventKind.RESPONSE):
        record = plain_json(event_to_dict(Event(kind, cr.id, cr.requester, cr.created_at, 1)))
        digest = chain_hash(prev, record)
        seq += 1
        rows.append({"seq": seq, "prev_hash": prev, "hash": digest, "change_id": cr.id,
                     "kind": kind.value, "actor": cr.requester, "at": cr.created_at,
                     "record": record})
        prev = digest
    return rows, prev


async def load(db: Database, count: int) -> None:
    """Bulk-insert through the same projections the repository writes."""
    rng = random.Random(42)
    seq, prev = 0, GENESIS
    for start in range(1, count + 1, BATCH):
        changes = [make_change(n, rng) for n in range(start, min(start + BATCH, count + 1))]
        tables: dict[Any, list[dict[str, Any]]] = {change_requests: [], responses: [],
                                                   review_groups: [], change_authors: [],
                                                   audit_events: []}
        for cr in changes:
            tables[change_requests].append(change_row(cr, cr.created_at))
            tables[responses] += response_rows(cr)
            tables[review_groups] += review_group_rows(cr)
            tables[change_authors] += author_rows(cr)
            rows, prev = audit_rows(cr, seq, prev)
            seq += len(rows)
            tables[audit_events] += rows
        async with db.writer.begin() as conn:
            for table, rows in tables.items():
                if rows:
                    await conn.execute(insert(table), rows)
    async with db.writer.begin() as conn:
        await conn.execute(counters.update().values(value=count))
        await conn.execute(text("ANALYZE"))


async def timed(name: str, call: Callable[[], Awaitable[Any]]) -> None:
    """Median and 95th percentile of RUNS calls after one warm-up; prints one line."""
    result = await call()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    size = len(result) if isinstance(result, list) else 1
    print(f"| {name} | {size} | {statistics.median(samples):.2f} | "
          f"{samples[int(len(samples) * 0.95) - 1]:.2f} |")


async def version(db: Database) -> str:
    """Name and version of the database server (or library) measured."""
    if db.dialect == "sqlite":
        return f"SQLite {sys.modules['sqlite3'].sqlite_version}"
    async with db.reader.connect() as conn:
        return str(await conn.scalar(text("SHOW server_version"))).join(("PostgreSQL ", ""))


async def run(url: str, count: int) -> None:
    db = await open_database(url)
    try:
        start = time.perf_counter()
        await load(db, count)
        async with db.reader.connect() as conn:
            stored = int(await conn.scalar(select(func.count()).select_from(change_requests)) or 0)
            pending = await conn.scalar(select(func.count()).select_from(change_requests)
                                        .where(change_requests.c.state == "pending_review"))
        print(f"loaded {stored} changes ({pending} pending review) and {stored * 3} audit "
              f"events in {time.perf_counter() - start:.1f} s into {db.url.render_as_string()}")
        server = await version(db)
        print(f"{platform.platform()}, Python {platform.python_version()}, {server}\n")
        print("| query | rows | median ms | p95 ms |\n|---|---|---|---|")
        queries = Queries(db)
        uow = SqlUnitOfWorkFactory(db)
        mine = PEOPLE[7]
        target = f"CHG-{count // 2}"

        async def get() -> Any:
            async with uow() as unit:
                return await unit.changes.get(target)

        async def save() -> Any:
            async with uow() as unit:
                cr = await unit.changes.get(target)
                assert cr is not None
                await unit.changes.update(replace(cr, version=cr.version + 1), cr.version)
                event = Event(EventKind.COMMENT, cr.id, mine, NOW, 1)
                await unit.audit.append([event])
                await unit.outbox.put([OutboxMessage("change.event", cr.id, {"n": 1})])
                await unit.commit()

        await timed("pending for an approver (2 groups, 50 oldest)",
                    lambda: queries.pending_for(APPROVER, APPROVER_GROUPS))
        await timed("my requests (50 newest)", lambda: queries.requested_by(mine))
        await timed("by state: pending_review (50 newest)",
                    lambda: queries.in_state(State.PENDING_REVIEW))
        await timed("by state: applied (50 newest)", lambda: queries.in_state(State.APPLIED))
        await timed("due deadlines (re-arm timers, up to 1000)", lambda: queries.deadlines())
        await timed("history of one change", lambda: queries.history(target))
        await timed("unit of work: get one change", get)
        await timed("command: read, compare-and-set, audit, outbox, commit", save)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--path", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--url", help="database URL instead of a SQLite file (must be empty)")
    args = parser.parse_args()
    if args.url is not None:
        asyncio.run(run(args.url, args.changes))
    elif args.path is not None:
        asyncio.run(run(f"sqlite+aiosqlite:///{args.path}", args.changes))
    else:
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(run(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", args.changes))


if __name__ == "__main__":
    main()
