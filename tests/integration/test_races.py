"""Races on real concurrent sessions: exactly one outcome wins and the loser is told (4.6)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable

import pytest
from sqlalchemy import func, select

from storage.audit_chain import verify_rows
from storage.sql.audit_trail import AuditTrail
from storage.sql.engines import Database
from storage.sql.queries import Queries
from storage.sql.schema import responses
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.errors import AlreadyResponded, DigestChanged, WorkflowError, WrongState
from workflow.model import ChangeRequest, Content, Metadata, Risk, State

REPETITIONS = 50
pytestmark = pytest.mark.asyncio(loop_scope="module")
repeated = pytest.mark.parametrize("repetition", range(REPETITIONS))


@pytest.fixture(scope="module")
def shared_world(shared_db: Database) -> World:
    return World(uow=SqlUnitOfWorkFactory(shared_db))


@pytest.fixture
def world(shared_world: World) -> World:
    """The module's world with a clean executor log; every repetition proposes new changes."""
    shared_world.executor.applies.clear()
    shared_world.executor.dry_runs.clear()
    return shared_world


async def race(*calls: Awaitable[ChangeRequest]) -> tuple[list[ChangeRequest], list[BaseException]]:
    """Start the calls together; split what came back into wins and refusals."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    wins = [r for r in results if isinstance(r, ChangeRequest)]
    refusals = [r for r in results if isinstance(r, BaseException)]
    for refusal in refusals:
        if not isinstance(refusal, WorkflowError):
            raise refusal
    return wins, refusals


async def kinds(db: Database, change_id: str) -> Counter[str]:
    return Counter(r.record["kind"] for r in await Queries(db).history(change_id))


async def live_rows(db: Database, change_id: str) -> int:
    async with db.reader.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(responses).where(
                responses.c.change_id == change_id, responses.c.ended.is_(None)
            )
        )
    return int(count or 0)


@repeated
async def test_two_final_approvals_make_one_transition(
    shared_db: Database, world: World, repetition: int
) -> None:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    replica = world.new_engine()
    wins, refusals = await race(approve_seen(world.engine, cr.id, "n2"),
                                approve_seen(replica, cr.id, "n3"))
    assert len(wins) == 1 and len(refusals) == 1
    assert isinstance(refusals[0], WrongState)
    final = await world.get(cr.id)
    assert final.state is State.APPROVED
    assert len(final.live_responses()) == 2 == await live_rows(shared_db, cr.id)
    events = await kinds(shared_db, cr.id)
    assert (events["approved"], events["response"]) == (1, 2)


@repeated
async def test_double_click_approve_counts_once(
    shared_db: Database, world: World, repetition: int
) -> None:
    cr = await world.propose("high")
    wins, refusals = await race(approve_seen(world.engine, cr.id, "n1"),
                                approve_seen(world.new_engine(), cr.id, "n1"))
    assert len(wins) == 1
    assert len(refusals) == 1 and isinstance(refusals[0], AlreadyResponded)
    final = await world.get(cr.id)
    assert final.state is State.PENDING_REVIEW
    assert len(final.live_responses()) == 1 == await live_rows(shared_db, cr.id)
    assert (await kinds(shared_db, cr.id))["response"] == 1


@repeated
async def test_the_same_form_submitted_twice_creates_one_change(
    shared_db: Database, world: World, repetition: int
) -> None:
    content = Content("bgp", "update", "edge-1", Risk.HIGH, "neighbor 192.0.2.1")
    metadata = Metadata("peer with AS65001")
    key = f"view-{uuid.uuid4().hex}"
    first, second = await asyncio.gather(*(
        engine.propose("req", content, metadata, idempotency_key=key,
                       dry_run_output="+ neighbor", submit=True)
        for engine in (world.engine, world.new_engine())
    ))
    assert first == second
    assert (await kinds(shared_db, first.id))["proposed"] == 1


@repeated
async def test_approve_races_reject(shared_db: Database, world: World, repetition: int) -> None:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    wins, refusals = await race(approve_seen(world.engine, cr.id, "n2"),
                                reject_seen(world.new_engine(), cr.id, "n3", "wrong peer"))
    assert len(wins) == 1 and len(refusals) == 1
    assert isinstance(refusals[0], WrongState)
    final = await world.get(cr.id)
    events = await kinds(shared_db, cr.id)
    if final.state is State.APPROVED:
        assert (events["approved"], events["rejected"], events["response"]) == (1, 0, 2)
    else:
        assert final.state is State.REJECTED
        assert (events["approved"], events["rejected"], events["response"]) == (0, 1, 2)


@repeated
@pytest.mark.parametrize("withdraw", ["request", "approval"])
async def test_withdraw_races_start_of_apply(
    shared_db: Database, world: World, repetition: int, withdraw: str
) -> None:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    replica = world.new_engine()
    withdrawal = (replica.withdraw_request(cr.id, "req") if withdraw == "request"
                  else replica.withdraw_approval(cr.id, "n2"))
    wins, refusals = await race(world.engine.apply(cr.id, "req"), withdrawal)
    assert len(wins) == 1 and len(refusals) == 1
    assert isinstance(refusals[0], WrongState)
    final = await world.get(cr.id)
    events = await kinds(shared_db, cr.id)
    if final.state is State.APPLIED:
        assert world.executor.applies == [final.apply_key()]
        assert (events["apply_started"], events["cancelled"], events["withdrawn"]) == (1, 0, 0)
    else:
        expected = State.CANCELLED if withdraw == "request" else State.PENDING_REVIEW
        assert final.state is expected
        assert world.executor.applies == []
        assert events["apply_started"] == 0


@repeated
async def test_expiry_races_the_last_approval(
    shared_db: Database, world: World, repetition: int
) -> None:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.advance(hours=72, seconds=-1)
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    world.clock.advance(seconds=1)  # the approval timeout is due now
    _, refusals = await race(approve_seen(world.engine, cr.id, "n2"),
                             world.new_engine().fire_deadline(cr.id))
    final = await world.get(cr.id)
    events = await kinds(shared_db, cr.id)
    # At the deadline the approval timeout is a rule of every decision, not only of the timer:
    # whichever commits first, the change expires once and the approval is refused.
    assert final.state is State.EXPIRED
    assert events["approved"] == 0 and events["expired"] == 1
    assert len(refusals) == 1 and isinstance(refusals[0], WrongState)


@repeated
async def test_an_approval_of_a_digest_races_a_new_dry_run(
    shared_db: Database, world: World, repetition: int
) -> None:
    cr = await world.propose("high")
    assert cr.dry_run is not None
    seen = cr.dry_run.digest
    wins, refusals = await race(
        approve_seen(world.engine, cr.id, "n1", revision=1, digest=seen),
        world.new_engine().record_dry_run(cr.id, "req", f"+ another output {repetition}"),
    )
    final = await world.get(cr.id)
    # Approved first, the new output invalidates it; recorded first, the approval is refused:
    # never an approval standing on a digest the approver did not see.
    assert final.dry_run is not None and final.dry_run.digest != seen
    assert final.live_responses() == ()
    assert all(isinstance(r, DigestChanged) for r in refusals) and len(wins) + len(refusals) == 2


async def test_the_chain_holds_after_every_race(shared_db: Database) -> None:
    result = await AuditTrail(shared_db).verify()
    assert result.ok, result
    assert verify_rows([r async for r in AuditTrail(shared_db).rows()]).ok
