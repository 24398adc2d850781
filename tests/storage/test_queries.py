"""The bot's read queries give the same answers the aggregates imply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.ports.deadlines import Deadline
from storage.sql.engines import Database
from storage.sql.queries import Queries
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.model import State

SENIORS = frozenset({"senior-network-engineers"})
ENGINEERS = frozenset({"network-engineers"})
CAB = frozenset({"change-advisory-board"})


@pytest.fixture
def world(db: Database) -> World:
    return World(uow=SqlUnitOfWorkFactory(db))


def ids(changes: object) -> list[str]:
    return [c.id for c in changes]  # type: ignore[attr-defined]


async def test_pending_for_an_approver_follows_stage_responses_and_four_eyes(
    db: Database, world: World
) -> None:
    high = await world.propose("high")
    world.clock.advance(minutes=1)
    critical = await world.propose("critical")
    await approve_seen(world.engine, critical.id, "n1")
    await approve_seen(world.engine, critical.id, "n2")  # stage 2 (CAB) is now active
    world.clock.advance(minutes=1)
    medium = await world.propose("medium")
    await world.propose("low")  # approved at once: waits for nobody
    world.clock.advance(minutes=1)
    by_n3 = await world.propose("high", actor="n3")
    await approve_seen(world.engine, high.id, "n1")
    queries = Queries(db)

    assert ids(await queries.pending_for("n1", SENIORS | ENGINEERS)) == [medium.id, by_n3.id]
    assert ids(await queries.pending_for("n2", SENIORS)) == [high.id, by_n3.id]
    assert ids(await queries.pending_for("n3", SENIORS)) == [high.id]
    assert ids(await queries.pending_for("c1", CAB)) == [critical.id]
    assert ids(await queries.pending_for("req", SENIORS)) == [by_n3.id]
    assert await queries.pending_for("x", frozenset()) == []
    assert ids(await queries.pending_for("n2", SENIORS, limit=1)) == [high.id]

    await world.engine.withdraw_approval(high.id, "n1")
    assert ids(await queries.pending_for("n1", SENIORS)) == [high.id, by_n3.id]
    await world.engine.withdraw_request(by_n3.id, "n3")
    assert ids(await queries.pending_for("n1", SENIORS)) == [high.id]


async def test_my_requests_and_by_state_newest_first(db: Database, world: World) -> None:
    first = await world.propose("high")
    world.clock.advance(minutes=1)
    low = await world.propose("low")
    world.clock.advance(minutes=1)
    other = await world.propose("medium", actor="n1")
    queries = Queries(db)
    assert ids(await queries.requested_by("req")) == [low.id, first.id]
    assert ids(await queries.requested_by("n1")) == [other.id]
    assert ids(await queries.in_state(State.PENDING_REVIEW)) == [other.id, first.id]
    assert ids(await queries.in_state(State.APPROVED)) == [low.id]
    assert await queries.in_state(State.APPLIED) == []


async def test_deadlines_soonest_first(db: Database, world: World) -> None:
    high = await world.propose("high")
    later = world.clock.advance(hours=1)
    medium = await world.propose("medium")
    await world.propose("low")
    queries = Queries(db)
    remind = timedelta(hours=4)
    assert await queries.deadlines() == [
        Deadline(high.id, later - timedelta(hours=1) + remind), Deadline(medium.id, later + remind)
    ]
    assert await queries.deadlines(until=later + remind - timedelta(seconds=1)) == [
        Deadline(high.id, later - timedelta(hours=1) + remind)
    ]


async def test_history_of_one_change_survives_revisions(db: Database, world: World) -> None:
    cr = await world.propose("high")
    other = await world.propose("medium")
    await reject_seen(world.engine, cr.id, "n1", "wrong peer")
    await approve_seen(world.engine, other.id, "e1")
    history = await Queries(db).history(cr.id)
    assert [r.record["kind"] for r in history] == [
        "proposed", "dry_run_recorded", "submitted", "response", "rejected"
    ]
    assert all(r.record["change_id"] == cr.id for r in history)
    assert [r.seq for r in history] == sorted(r.seq for r in history)
