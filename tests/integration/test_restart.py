"""A restarted process over the same SQLite file sees every committed change, and only those."""

from __future__ import annotations

from pathlib import Path

from storage.database import open_database
from storage.sql.audit_trail import AuditTrail
from storage.sql.queries import Queries
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import sqlite_url
from tests.support.reviews import approve_seen, reject_seen
from tests.support.samples import change
from tests.support.world import World
from workflow.model import ChangeRequest, State


async def test_a_new_engine_over_the_same_file_sees_every_committed_change(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    db = await open_database(url)
    try:
        before = World(uow=SqlUnitOfWorkFactory(db))
        made: list[ChangeRequest] = [await before.propose(risk) for risk in
                                     ("low", "medium", "high", "critical")]
        made[1] = await approve_seen(before.engine, made[1].id, "e1")
        made[2] = await reject_seen(before.engine, made[2].id, "n1", "wrong peer")
        async with SqlUnitOfWorkFactory(db)() as uow:  # never committed: must not survive
            await uow.changes.add(change("CHG-99"))
        rows_before = [row async for row in AuditTrail(db).rows()]
    finally:
        await db.dispose()

    db = await open_database(url)
    try:
        after = World(uow=SqlUnitOfWorkFactory(db), clock=before.clock)
        for cr in made:
            assert await after.engine.get(cr.id) == cr
        assert await after.engine.get("CHG-99") is None
        assert [row async for row in AuditTrail(db).rows()] == rows_before
        fresh = await after.propose("high")
        assert fresh.id == "CHG-5"
        assert {c.id for c in await Queries(db).in_state(State.PENDING_REVIEW)} == {
            made[3].id, fresh.id
        }
        result = await AuditTrail(db).verify()
        assert result.ok and result.rows > len(rows_before)
    finally:
        await db.dispose()
