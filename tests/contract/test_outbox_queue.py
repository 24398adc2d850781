"""The relay's side of the outbox, one contract for memory, SQLite and PostgreSQL: claims in
order under leases, one relay per change at a time, retries with backoff, dead letters."""

from __future__ import annotations

from datetime import timedelta

from storage.outbox_rules import backoff
from tests.support.ports import Ports
from tests.support.samples import T0
from workflow.ports import OutboxMessage

LEASE = timedelta(seconds=30)


async def put(ports: Ports, *change_ids: str | None) -> None:
    async with ports.uow() as uow:
        await uow.outbox.put([OutboxMessage("change.event", c, {"n": n})
                              for n, c in enumerate(change_ids)])
        await uow.commit()


async def test_a_claim_leases_the_oldest_messages_and_nobody_else_gets_them(
        ports: Ports) -> None:
    await put(ports, "CHG-0", "CHG-1", "CHG-2")
    queue = ports.again().queue(8)
    first = await queue.claim("a", 2, LEASE, T0)
    assert [(d.change_id, d.payload, d.attempts) for d in first] == [
        ("CHG-0", {"n": 0}, 1), ("CHG-1", {"n": 1}, 1)]
    assert [d.id for d in first] == sorted(d.id for d in first)
    other = ports.again().queue(8)
    assert [d.change_id for d in await other.claim("b", 5, LEASE, T0)] == ["CHG-2"]
    assert await other.claim("b", 5, LEASE, T0 + LEASE - timedelta(seconds=1)) == []


async def test_an_expired_lease_is_claimed_again_counting_the_attempt(ports: Ports) -> None:
    await put(ports, "CHG-0")
    queue = ports.again().queue(8)
    await queue.claim("crashed", 1, LEASE, T0)
    again = await queue.claim("b", 1, LEASE, T0 + LEASE)
    assert [(d.change_id, d.attempts) for d in again] == [("CHG-0", 2)]


async def test_a_claim_takes_the_rest_of_its_changes_queue_beyond_the_limit(
        ports: Ports) -> None:
    """A change's backlog goes to one relay together, in order."""
    await put(ports, "CHG-1", "CHG-2", "CHG-1", None, "CHG-1")
    queue = ports.again().queue(8)
    claimed = await queue.claim("a", 1, LEASE, T0)
    assert [(d.change_id, d.payload["n"]) for d in claimed] == [
        ("CHG-1", 0), ("CHG-1", 2), ("CHG-1", 4)]
    rest = await queue.claim("b", 5, LEASE, T0)
    assert [(d.change_id, d.payload["n"]) for d in rest] == [("CHG-2", 1), (None, 3)]


async def test_no_message_of_a_change_another_relay_holds_is_claimed(ports: Ports) -> None:
    """So two replicas never post the same card at once."""
    await put(ports, "CHG-1")
    queue = ports.again().queue(8)
    await queue.claim("a", 5, LEASE, T0)
    await put(ports, "CHG-1", "CHG-2", None)
    mine = await queue.claim("a", 5, LEASE, T0)  # the holder itself may take more of it
    assert [d.change_id for d in mine] == ["CHG-1", "CHG-2", None]
    await put(ports, "CHG-1", "CHG-3")
    theirs = await queue.claim("b", 5, LEASE, T0)
    assert [d.change_id for d in theirs] == ["CHG-3"]
    assert [d.change_id for d in await queue.claim("b", 5, LEASE, T0 + LEASE)] == [
        "CHG-1", "CHG-1", "CHG-2", None, "CHG-1"]


async def test_a_delivered_message_is_never_claimed_again(ports: Ports) -> None:
    await put(ports, "CHG-0", "CHG-1", "CHG-2")
    queue = ports.again().queue(8)
    first, second, third = await queue.claim("a", 3, LEASE, T0)
    assert await queue.mark_delivered(first.id, T0)
    assert not await queue.mark_delivered(first.id, T0)
    assert await queue.mark_delivered_all([first.id, second.id, third.id], T0) == 2
    assert await queue.mark_delivered_all([second.id, third.id], T0) == 0
    assert await queue.claim("a", 3, LEASE, T0 + timedelta(days=1)) == []


async def test_released_messages_are_claimable_at_once_and_the_attempt_is_not_counted(
        ports: Ports) -> None:
    await put(ports, "CHG-0", "CHG-1")
    queue = ports.again().queue(8)
    first, second = await queue.claim("a", 2, LEASE, T0)
    await queue.release([first.id], "intruder")  # only the holder can hand a message back
    assert await queue.claim("b", 2, LEASE, T0) == []
    await queue.release([first.id, second.id], "a")
    again = await queue.claim("b", 2, LEASE, T0)
    assert [(d.id, d.attempts) for d in again] == [(first.id, 1), (second.id, 1)]


async def test_only_the_holder_renews_a_lease(ports: Ports) -> None:
    await put(ports, "CHG-0", "CHG-1")
    queue = ports.again().queue(8)
    first, second = await queue.claim("a", 2, LEASE, T0)
    await queue.renew([first.id], "a", T0 + 3 * LEASE)
    await queue.renew([second.id], "intruder", T0 + 3 * LEASE)
    later = await queue.claim("b", 2, LEASE, T0 + 2 * LEASE)
    assert [d.id for d in later] == [second.id]


async def test_failures_back_off_then_dead_letter(ports: Ports) -> None:
    await put(ports, "CHG-0", "CHG-1")
    queue = ports.again().queue(3)
    now = T0
    for attempt in (1, 2):
        message, *_ = await queue.claim("a", 1, LEASE, now)
        assert (message.change_id, message.attempts) == ("CHG-0", attempt)
        assert not await queue.mark_failed(message.id, "a", "HTTP 500", now)
        waiting = await queue.claim("a", 5, LEASE, now + backoff(attempt) - timedelta(seconds=1))
        assert "CHG-0" not in [d.change_id for d in waiting]
        await queue.release([d.id for d in waiting], "a")
        now += backoff(attempt)
    message, *_ = await queue.claim("a", 1, LEASE, now)
    assert await queue.mark_failed(message.id, "a", "HTTP 500", now)
    assert not await queue.mark_failed(message.id, "a", "HTTP 500", now)  # dead stays dead
    later = await queue.claim("a", 5, LEASE, now + timedelta(days=30))
    assert [d.change_id for d in later] == ["CHG-1"]  # the dead one never comes back
    dead = await queue.dead_letters()  # type: ignore[attr-defined]
    assert [(d.id, d.change_id, d.attempts) for d in dead] == [(message.id, "CHG-0", 3)]


async def test_a_relay_that_lost_its_lease_cannot_reschedule(ports: Ports) -> None:
    await put(ports, "CHG-0")
    queue = ports.again().queue(8)
    (message,) = await queue.claim("slow", 1, LEASE, T0)
    (taken,) = await queue.claim("fast", 1, LEASE, T0 + LEASE)
    assert not await queue.mark_failed(message.id, "slow", "timeout", T0 + LEASE)
    assert taken.attempts == 2
    assert await queue.mark_delivered(taken.id, T0 + LEASE)
