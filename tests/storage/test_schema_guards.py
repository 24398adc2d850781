"""The database itself refuses what must never happen, whatever code writes to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from storage.sql.engines import Database
from storage.sql.projection import response_rows
from storage.sql.schema import audit_events, change_requests, responses
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.samples import change, event


async def stored(db: Database) -> None:
    async with SqlUnitOfWorkFactory(db)() as uow:
        await uow.changes.add(change("CHG-1"))
        await uow.audit.append([event(), event(actor="y")])
        await uow.commit()


def response(**overrides: object) -> dict[str, object]:
    row = response_rows(change("CHG-1"))[1]
    return {**row, "position": 7, **overrides}


async def test_a_requester_can_never_hold_a_response(db: Database) -> None:
    await stored(db)
    with pytest.raises(IntegrityError):
        async with db.writer.begin() as conn:
            await conn.execute(insert(responses).values(response(person="req")))


async def test_one_live_response_per_revision_and_person(db: Database) -> None:
    await stored(db)
    with pytest.raises(IntegrityError):
        async with db.writer.begin() as conn:
            await conn.execute(insert(responses).values(response()))
    async with db.writer.begin() as conn:  # ended responses are history, any number of them
        ended = {"ended": "withdrawn", "ended_at": datetime(2026, 11, 2, tzinfo=UTC)}
        await conn.execute(insert(responses).values(response(position=8, **ended)))
        await conn.execute(insert(responses).values(response(position=9, **ended)))
        await conn.execute(insert(responses).values(response(position=10, revision=2)))


@pytest.mark.parametrize("statement", ["update", "delete"])
async def test_audit_rows_cannot_be_changed_or_deleted(db: Database, statement: str) -> None:
    await stored(db)
    query = (
        update(audit_events).values(actor="mallory") if statement == "update"
        else delete(audit_events)
    ).where(audit_events.c.seq == 1)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.writer.begin() as conn:
            await conn.execute(query)
    async with db.reader.connect() as conn:
        assert (await conn.execute(select(audit_events.c.actor))).scalars().all() == ["x", "y"]


async def test_audit_log_cannot_be_truncated_on_postgres(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    await stored(db)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.writer.begin() as conn:
            await conn.execute(text("TRUNCATE audit_events"))


async def test_times_come_back_as_the_same_instant_in_utc(db: Database) -> None:
    tokyo = datetime(2026, 11, 2, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    cr = change("CHG-1", expires_at=tokyo)
    async with SqlUnitOfWorkFactory(db)() as uow:
        await uow.changes.add(cr)
        await uow.commit()
    async with db.reader.connect() as conn:
        expires = await conn.scalar(select(change_requests.c.expires_at))
    assert expires == tokyo
    assert expires.tzinfo is UTC
    assert expires.hour == 9


async def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.writer.begin() as conn:
            await conn.execute(
                update(change_requests).values(expires_at=datetime(2026, 11, 2, 9, 0))
            )
