"""What cards, notifications and App Home read, one contract for memory, SQLite and PostgreSQL:
which changes each list holds, in which order, within the limit, and the audit anchors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.reads import NEEDS_ACTION_FOR, needs_action_since
from tests.support.policies import SCENARIO_POLICY
from tests.support.ports import Ports
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.errors import WorkflowError
from workflow.model import ApplyStatus, State
from workflow.ports import ApplyResult
from workflow.post_review import ReviewOutcome

SENIORS = frozenset({"senior-network-engineers"})
REQUIRED = SCENARIO_POLICY.replace(
    "  - {name: low, priority: 40, match: {risk: low}, stages: []}",
    "  - {name: low, priority: 40, match: {risk: low}, stages: [], post_review: required}")


@pytest.fixture
def world(ports: Ports) -> World:
    return World(uow=ports.uow, clock=ports.clock)


def ids(changes: object) -> list[str]:
    return [c.id for c in changes]  # type: ignore[attr-defined]


async def test_in_review_is_oldest_first_and_the_limit_keeps_the_oldest(
        ports: Ports, world: World) -> None:
    draft = await world.propose("high", submit=False)
    world.clock.advance(minutes=1)
    first = await world.propose("high")
    world.clock.advance(minutes=1)
    await world.propose("low")  # approved at once: not in review
    second = await world.propose("medium")
    world.clock.advance(minutes=1)
    await world.engine.submit(draft.id, "req")  # created first, submitted last
    queries = ports.again().change_queries
    assert ids(await queries.in_review(10)) == [draft.id, first.id, second.id]
    assert ids(await queries.in_review(2)) == [draft.id, first.id]


async def test_awaiting_follows_four_eyes_and_responses_and_counts_beyond_the_page(
        ports: Ports, world: World) -> None:
    """Eleven changes made in the same instant are listed in the order they were made (CHG-10
    after CHG-9), whatever the page size."""
    made = [(await world.propose("high")).id for _ in range(11)]
    own = await world.propose("high", actor="n1")
    await approve_seen(world.engine, made[3], "n1")
    waiting = [m for m in made if m != made[3]]
    queries = ports.again().change_queries
    page = await queries.awaiting("n1", SENIORS, 20)
    assert (page.total, ids(page.items)) == (10, waiting)
    first = await queries.awaiting("n1", SENIORS, 3)
    assert (first.total, ids(first.items)) == (10, waiting[:3])
    assert own.id in ids((await queries.awaiting("n2", SENIORS, 20)).items)
    assert (await queries.awaiting("n1", frozenset(), 20)).total == 0
    assert (await queries.awaiting("n1", frozenset({"change-advisory-board"}), 20)).total == 0


async def test_open_requests_are_the_persons_unsettled_ones_newest_first(
        ports: Ports, world: World) -> None:
    first = await world.propose("high")
    world.clock.advance(minutes=1)
    rejected = await world.propose("high")
    await reject_seen(world.engine, rejected.id, "n1", "wrong peer")
    approved = await world.propose("low")
    world.clock.advance(minutes=1)
    draft = await world.propose("medium", submit=False)
    await world.propose("high", actor="n1")
    queries = ports.again().change_queries
    page = await queries.open_requests("req", 10)
    assert (page.total, ids(page.items)) == (3, [draft.id, approved.id, first.id])
    assert ids((await queries.open_requests("req", 1)).items) == [draft.id]


async def test_owed_reviews_are_applied_changes_awaiting_their_review_oldest_first(
        ports: Ports, world: World) -> None:
    world.use_policy(REQUIRED)
    applied = []
    for _ in range(3):
        cr = await world.propose("low")
        applied.append((await world.engine.apply(cr.id, "req")).id)
        world.clock.advance(minutes=1)
    await world.propose("low")  # approved, not applied: nothing to review yet
    await world.engine.post_review(applied[1], "req", ReviewOutcome.SUCCESSFUL, "fine")
    queries = ports.again().change_queries
    page = await queries.owed_reviews("req", 10)
    assert (page.total, ids(page.items)) == (2, [applied[0], applied[2]])
    assert ids((await queries.owed_reviews("req", 1)).items) == [applied[0]]
    assert (await queries.owed_reviews("n1", 10)).total == 0


async def test_involving_and_decided_put_the_latest_activity_first_and_a_refusal_is_none(
        ports: Ports, world: World) -> None:
    older = await world.propose("high")
    newer = await world.propose("high")
    await world.engine.comment(older.id, "x", "checked the peer")
    world.clock.advance(minutes=1)
    await world.engine.comment(newer.id, "x", "and this one")
    queries = ports.again().change_queries
    assert ids(await queries.involving("x", 10)) == [newer.id, older.id]
    world.clock.advance(minutes=1)
    with pytest.raises(WorkflowError):
        await approve_seen(world.engine, older.id, "req")  # four eyes: refused, and audited
    assert ids(await queries.involving("x", 10)) == [newer.id, older.id]
    assert (await queries.decided("x", 10)).total == 0  # both still in review

    for change_id in (newer.id, older.id):
        world.clock.advance(minutes=1)
        await approve_seen(world.engine, change_id, "n1")
        assert (await approve_seen(world.engine, change_id, "n2")).state is State.APPROVED
    assert ids(await queries.involving("x", 10)) == [older.id, newer.id]
    decided = await queries.decided("x", 10)
    assert (decided.total, ids(decided.items)) == (2, [older.id, newer.id])
    assert ids((await queries.decided("x", 1)).items) == [older.id]
    assert (await queries.decided("req", 10)).total == 0  # their own open requests


async def test_the_anchor_is_the_latest_row_and_settled_the_latest_that_was_not_refused(
        ports: Ports, world: World) -> None:
    cr = await world.propose("high")
    other = await world.propose("high")
    world.clock.advance(minutes=1)
    await approve_seen(world.engine, cr.id, "n1")
    approved_at = world.clock.now()
    world.clock.advance(minutes=1)
    with pytest.raises(WorkflowError):
        await approve_seen(world.engine, cr.id, "req")
    await world.engine.comment(other.id, "x", "later, on another change")
    adapters = ports.again()
    history = await adapters.api_reads.history(cr.id)
    anchor = await adapters.change_queries.anchor(cr.id)
    assert anchor is not None and history[-1].record["kind"] == "refused"
    assert (anchor.seq, anchor.hash) == (history[-1].seq, history[-1].hash)
    settled = await adapters.change_queries.settled(cr.id)
    assert settled is not None
    assert (settled.kind, settled.actor, settled.at) == ("response", "n1", approved_at)
    assert await adapters.change_queries.anchor("CHG-404") is None
    assert await adapters.change_queries.settled("CHG-404") is None
    assert await adapters.change_queries.get(cr.id) == await world.get(cr.id)
    assert await adapters.change_queries.get("CHG-404") is None


async def test_needs_action_is_the_requesters_unknown_applies_owed_reviews_and_recent_refusals(
        ports: Ports, world: World) -> None:
    """Rejected and expired changes need their requester for NEEDS_ACTION_FOR after they
    ended; an unknown apply and an owed review until they are settled; newest first."""
    world.use_policy(REQUIRED)
    long_ago = await world.propose("high")
    await reject_seen(world.engine, long_ago.id, "n1", "wrong peer")
    world.clock.advance(days=NEEDS_ACTION_FOR.days, minutes=1)
    owed = await world.propose("low")
    await world.engine.apply(owed.id, "req")
    world.clock.advance(minutes=1)
    reviewed = await world.propose("low")
    await world.engine.apply(reviewed.id, "req")
    await world.engine.post_review(reviewed.id, "req", ReviewOutcome.SUCCESSFUL, "fine")
    world.clock.advance(minutes=1)
    world.executor.result = ApplyResult(ApplyStatus.UNKNOWN, "the target stopped answering")
    unknown = await world.propose("low")
    assert (await world.engine.apply(unknown.id, "req")).state is State.APPLY_UNKNOWN
    world.clock.advance(minutes=1)
    expired = await world.propose("high")
    world.clock.advance(minutes=1)
    rejected = await world.propose("high")
    await reject_seen(world.engine, rejected.id, "n2", "use edge-2")
    await world.propose("high")  # in review: nothing to do yet
    theirs = await world.propose("high", actor="n1")
    await reject_seen(world.engine, theirs.id, "n2", "not yours to act on")
    world.clock.advance(hours=73)
    assert (await world.engine.fire_deadline(expired.id)).state is State.EXPIRED

    queries = ports.again().change_queries
    since = needs_action_since(world.clock.now())
    page = await queries.needs_action("req", since, 10)
    assert (page.total, ids(page.items)) == (4, [rejected.id, expired.id, unknown.id, owed.id])
    assert ids((await queries.needs_action("req", since, 1)).items) == [rejected.id]
    assert ids((await queries.needs_action("n1", since, 10)).items) == [theirs.id]
    world.clock.advance(days=NEEDS_ACTION_FOR.days, minutes=1)
    later = await queries.needs_action("req", needs_action_since(world.clock.now()), 10)
    assert ids(later.items) == [unknown.id, owed.id]  # the refusals are old news by now


async def test_approved_by_me_lists_open_changes_my_live_approval_is_on(
        ports: Ports, world: World) -> None:
    halfway = await world.propose("high")
    await approve_seen(world.engine, halfway.id, "n1")
    world.clock.advance(minutes=1)
    approved = await world.propose("high")
    for person in ("n1", "n2"):
        await approve_seen(world.engine, approved.id, person)
    withdrawn = await world.propose("high")
    await approve_seen(world.engine, withdrawn.id, "n1")
    await world.engine.withdraw_approval(withdrawn.id, "n1")
    overruled = await world.propose("high")
    await approve_seen(world.engine, overruled.id, "n1")
    await reject_seen(world.engine, overruled.id, "n2", "not tonight")
    revised = await world.propose("high")
    await approve_seen(world.engine, revised.id, "n1")
    await world.engine.edit(revised.id, "req", replace(revised.content, target="edge-2"))
    applied = await world.propose("high")
    for person in ("n1", "n2"):
        await approve_seen(world.engine, applied.id, person)
    assert (await world.engine.apply(applied.id, "req")).state is State.APPLIED

    queries = ports.again().change_queries
    page = await queries.approved_by("n1", 10)
    assert (page.total, ids(page.items)) == (2, [approved.id, halfway.id])
    assert ids((await queries.approved_by("n1", 1)).items) == [approved.id]
    assert ids((await queries.approved_by("n2", 10)).items) == [approved.id]
    assert (await queries.approved_by("req", 10)).total == 0
