"""What the REST API reads, one contract for memory, SQLite and PostgreSQL: pages of changes
and their filters, audit rows and their filters, the chain's head, counts and the outbox backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.reads import NEEDS_ACTION_FOR, ChangeFilter, TopicCounts, needs_action_since
from tests.support.ports import Ports
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.model import State
from workflow.ports import OutboxMessage

SENIORS = frozenset({"senior-network-engineers"})
LEASE = timedelta(seconds=30)


@pytest.fixture
def world(ports: Ports) -> World:
    return World(uow=ports.uow, clock=ports.clock)


def ids(changes: object) -> list[str]:
    return [c.id for c in changes]  # type: ignore[attr-defined]


async def test_changes_are_paged_newest_first_by_number(ports: Ports, world: World) -> None:
    made = [(await world.propose("high")).id for _ in range(11)]
    reads = ports.again().api_reads
    first = await reads.changes(ChangeFilter(), None, 4)
    assert ids(first.changes) == made[::-1][:4]
    assert first.next_before == 8
    rest = await reads.changes(ChangeFilter(), first.next_before, 10)
    assert (ids(rest.changes), rest.next_before) == (made[::-1][4:], None)
    exact = await reads.changes(ChangeFilter(), None, 11)
    assert (len(exact.changes), exact.next_before) == (11, None)


async def test_filters_hold_all_at_once(ports: Ports, world: World) -> None:
    high = await world.propose("high")
    low = await world.propose("low")
    own = await world.propose("high", actor="n1")
    answered = await world.propose("high")
    await approve_seen(world.engine, answered.id, "n1")
    reads = ports.again().api_reads

    async def listed(where: ChangeFilter) -> list[str]:
        return ids((await reads.changes(where, None, 50)).changes)

    assert await listed(ChangeFilter(states=frozenset({State.APPROVED}))) == [low.id]
    in_review = frozenset({State.PENDING_REVIEW})
    assert await listed(ChangeFilter(states=in_review, requester="req")) == [answered.id, high.id]
    assert await listed(ChangeFilter(requester="n1")) == [own.id]
    assert await listed(ChangeFilter(awaiting="n1", awaiting_groups=SENIORS)) == [high.id]
    assert await listed(ChangeFilter(awaiting="n2", awaiting_groups=SENIORS)) == [
        answered.id, own.id, high.id]
    assert await listed(ChangeFilter(requester="n1", awaiting="n2",
                                     awaiting_groups=SENIORS)) == [own.id]
    assert await listed(ChangeFilter(awaiting="n2", awaiting_groups=frozenset())) == []


async def test_approved_by_and_needs_action_filter_as_the_home_lists_do(
        ports: Ports, world: World) -> None:
    old = await world.propose("high")
    await reject_seen(world.engine, old.id, "n1", "too early")
    world.clock.advance(days=NEEDS_ACTION_FOR.days, minutes=1)
    halfway = await world.propose("high")
    await approve_seen(world.engine, halfway.id, "n1")
    rejected = await world.propose("high")
    await approve_seen(world.engine, rejected.id, "n1")
    await reject_seen(world.engine, rejected.id, "n2", "wrong peer")
    open_ = await world.propose("high", actor="n2")
    await approve_seen(world.engine, open_.id, "n1")
    reads = ports.again().api_reads
    since = needs_action_since(world.clock.now())

    async def listed(where: ChangeFilter) -> list[str]:
        return ids((await reads.changes(where, None, 50)).changes)

    assert await listed(ChangeFilter(approved_by="n1")) == [open_.id, halfway.id]
    assert await listed(ChangeFilter(approved_by="n1", requester="req")) == [halfway.id]
    assert await listed(ChangeFilter(needs_action="req", needs_action_since=since)) == [
        rejected.id]
    assert await listed(ChangeFilter(needs_action="req")) == [rejected.id, old.id]
    assert await listed(ChangeFilter(needs_action="n2", needs_action_since=since)) == []
    assert await listed(ChangeFilter(approved_by="n1", states=frozenset({State.APPROVED}))) == []


async def test_audit_rows_filter_by_change_kind_time_and_position(
        ports: Ports, world: World) -> None:
    cr = await world.propose("high")
    world.clock.advance(minutes=5)
    middle = world.clock.now()
    await approve_seen(world.engine, cr.id, "n1")
    other = await world.propose("low")
    reads = ports.again().api_reads
    every = await reads.audit()
    assert [r.seq for r in every] == list(range(1, len(every) + 1))
    history = await reads.history(cr.id)
    assert [r.record["kind"] for r in history] == [
        "proposed", "dry_run_recorded", "submitted", "response"]
    assert history == [r for r in every if r.record["change_id"] == cr.id]
    assert await reads.audit(change_id=cr.id, after=2) == history[2:]
    assert await reads.audit(after=1, limit=2) == every[1:3]
    assert [r.record["change_id"] for r in await reads.audit(since=middle)] == [
        cr.id] + [other.id] * (len(every) - 4)
    assert [r.seq for r in await reads.audit(kinds=["submitted"])] == [
        r.seq for r in every if r.record["kind"] == "submitted"]
    assert await reads.history("CHG-404") == []


async def test_the_head_closes_an_intact_chain_and_counts_follow_the_states(
        ports: Ports, world: World) -> None:
    reads = ports.again().api_reads
    assert await reads.head() is None
    assert (await reads.verify()).ok
    await world.propose("high")
    await world.propose("high")
    await world.propose("low")
    head = await reads.head()
    every = await reads.audit()
    assert head == every[-1]
    assert (await reads.verify()).ok
    assert await reads.count_by_state() == {"pending_review": 2, "approved": 1}
    assert await reads.get("CHG-3") == await world.get("CHG-3")
    assert await reads.get("CHG-404") is None


async def test_the_backlog_counts_what_is_waiting_and_what_is_dead(ports: Ports) -> None:
    reads = ports.again().api_reads
    assert (await reads.backlog()).pending == 0
    assert (await reads.backlog()).oldest_pending_at is None
    for change_id in ("CHG-1", "CHG-2", "CHG-3"):
        async with ports.uow() as uow:
            await uow.outbox.put([OutboxMessage("change.event", change_id)])
            await uow.commit()
        ports.clock.advance(seconds=10)
    queue = ports.again().queue(1)
    first, second, third = await queue.claim("r", 3, LEASE, ports.clock.now())
    await queue.mark_delivered(second.id, ports.clock.now())
    backlog = await reads.backlog()
    assert (backlog.pending, backlog.dead) == (2, 0)
    assert backlog.oldest_pending_at == ports.clock.now() - timedelta(seconds=30)
    assert await queue.mark_failed(first.id, "r", "HTTP 500", ports.clock.now())  # dead at once
    backlog = await reads.backlog()
    assert (backlog.pending, backlog.dead) == (1, 1)
    assert backlog.oldest_pending_at == ports.clock.now() - timedelta(seconds=10)
    await queue.mark_delivered(third.id, ports.clock.now())
    backlog = await reads.backlog()
    assert (backlog.pending, backlog.dead, backlog.oldest_pending_at) == (0, 1, None)
    assert backlog.topics == {"change.event": TopicCounts(pending=0, delivered=2, dead=1)}


async def test_the_backlog_counts_each_topic_apart(ports: Ports) -> None:
    reads = ports.again().api_reads
    assert (await reads.backlog()).topics == {}
    async with ports.uow() as uow:
        await uow.outbox.put([OutboxMessage("change.event", "CHG-1"),
                              OutboxMessage("subscription.event", None, {"n": 1}),
                              OutboxMessage("subscription.event", None, {"n": 2})])
        await uow.commit()
    queue = ports.again().queue(1)
    _card, first, second = await queue.claim("r", 3, LEASE, ports.clock.now())
    await queue.mark_delivered(first.id, ports.clock.now())
    await queue.mark_failed(second.id, "r", "HTTP 503", ports.clock.now())
    assert (await reads.backlog()).topics == {
        "change.event": TopicCounts(pending=1, delivered=0, dead=0),
        "subscription.event": TopicCounts(pending=0, delivered=1, dead=1),
    }
