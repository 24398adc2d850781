"""The stored audit chain: verify names the first tampered row; export keeps what was hashed."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import text

from storage.audit_chain import chain_hash
from storage.audit_export import CSV_FIELDS, export
from storage.sql.audit_trail import AuditTrail
from storage.sql.engines import Database
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import tamper_audit
from tests.support.samples import T0, event
from workflow.events import EventKind


async def log(db: Database, count: int = 6) -> None:
    """`count` events over two changes, one a minute, in three transactions."""
    events = [
        event(f"CHG-{1 + n % 2}", EventKind.RESPONSE, f"u{n}", T0 + timedelta(minutes=n), n=n)
        for n in range(count)
    ]
    for start in range(0, count, 2):
        async with SqlUnitOfWorkFactory(db)() as uow:
            await uow.audit.append(events[start:start + 2])
            await uow.commit()


async def test_an_untouched_chain_verifies(db: Database) -> None:
    trail = AuditTrail(db)
    assert (await trail.verify()).ok
    await log(db)
    result = await trail.verify()
    assert result.ok and result.rows == 6
    head = await trail.head()
    assert head is not None and head.seq == 6


async def test_an_edited_record_is_named_even_with_the_trigger_dropped(db: Database) -> None:
    await log(db)
    await tamper_audit(db, 4, "mallory")
    result = await AuditTrail(db).verify()
    assert not result.ok
    assert (result.bad_seq, result.problem) == (4, "content does not match its hash")


async def test_a_rehashed_row_breaks_the_link_of_the_next(db: Database) -> None:
    await log(db)
    await tamper_audit(db, 3, "mallory")
    async with db.writer.begin() as conn:
        record = (await conn.execute(text("SELECT record, prev_hash FROM audit_events "
                                          "WHERE seq = 3"))).one()
        stored = record.record if isinstance(record.record, dict) else json.loads(record.record)
        await conn.execute(
            text("UPDATE audit_events SET hash = :h, actor = 'mallory' WHERE seq = 3"),
            {"h": chain_hash(record.prev_hash, stored)},
        )
    result = await AuditTrail(db).verify()
    assert (result.bad_seq, result.problem) == (4, "prev_hash breaks the chain")


async def test_an_edited_column_beside_the_record_is_named(db: Database) -> None:
    await log(db)
    await tamper_audit(db, 5, "u4")  # drop the trigger; the record itself stays as it was
    async with db.writer.begin() as conn:
        await conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    result = await AuditTrail(db).verify()
    assert (result.bad_seq, result.problem) == (2, "column actor does not match the hashed record")


async def test_a_deleted_row_is_named_by_the_row_after_it(db: Database) -> None:
    await log(db)
    await tamper_audit(db, 1, "x")
    async with db.writer.begin() as conn:
        if db.dialect == "sqlite":
            await conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        await conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    result = await AuditTrail(db).verify()
    assert result.bad_seq == 1  # the first tampered row is still named first
    async with db.writer.begin() as conn:
        await conn.execute(text("DELETE FROM audit_events WHERE seq = 1"))
    assert (await AuditTrail(db).verify()).bad_seq == 2


async def test_export_jsonl_keeps_the_hashed_record_and_filters(db: Database) -> None:
    await log(db)
    out = io.StringIO()
    trail = AuditTrail(db)
    count = await export(trail.rows(since=T0 + timedelta(minutes=2), change_id="CHG-1"), out,
                         "jsonl")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines) == 2
    assert [line["seq"] for line in lines] == [3, 5]
    for line in lines:
        assert chain_hash(line["prev_hash"], line["record"]) == line["hash"]


async def test_export_csv_has_a_header_and_one_line_per_event(db: Database) -> None:
    await log(db, count=4)
    out = io.StringIO()
    assert await export(AuditTrail(db).rows(), out, "csv") == 4
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [(r["seq"], r["change_id"], r["kind"], r["actor"]) for r in rows] == [
        ("1", "CHG-1", "response", "u0"), ("2", "CHG-2", "response", "u1"),
        ("3", "CHG-1", "response", "u2"), ("4", "CHG-2", "response", "u3"),
    ]
    assert json.loads(rows[3]["data"]) == {"n": 3}
    assert rows[0]["at"] == T0.isoformat()


async def test_export_pages_through_long_logs(db: Database) -> None:
    await log(db, count=10)
    seqs = [row.seq async for row in AuditTrail(db).stored(batch=3)]
    assert seqs == list(range(1, 11))
