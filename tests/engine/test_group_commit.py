"""Group commit: commands on different changes that wait while a transaction commits share the
next one, and every caller still gets exactly its own outcome, on every backend; a form's decision
and its key are one commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, cast

import pytest

from storage.audit_chain import AuditRow
from tests.support.backends import Backend
from tests.support.probed_uow import ProbedUnits
from tests.support.world import World
from workflow.digest import output_digest
from workflow.errors import Replayed, SelfApproval
from workflow.gesture import Committed, Gesture
from workflow.model import ChangeRequest, State
from workflow.seen import Seen


@pytest.fixture
def probe(backend: Backend) -> ProbedUnits:
    return ProbedUnits(backend.uow)


@pytest.fixture
def world(probe: ProbedUnits) -> World:
    return World(uow=probe)


async def started(*calls: Coroutine[Any, Any, ChangeRequest]) -> list[asyncio.Task[ChangeRequest]]:
    """Start each call and let the event loop run each up to where it waits for its commit."""
    tasks = [asyncio.create_task(call) for call in calls]
    await asyncio.sleep(0)  # one pass of the loop, no wall-clock wait
    return tasks


async def answers(*calls: Awaitable[ChangeRequest]) -> list[Any]:
    """Every caller's answer or refusal; a caller left unanswered fails the test, not hangs it."""
    async with asyncio.timeout(30):
        return await asyncio.gather(*calls, return_exceptions=True)


async def voters(world: World, change_id: str) -> list[str]:
    return [r.person for r in (await world.get(change_id)).live_responses()]


def audited(rows: list[AuditRow] | Any, kind: str, change_id: str) -> list[str]:
    """Actors of the audit events of `kind` on the change, in order."""
    return [r.record["actor"] for r in rows
            if r.record["kind"] == kind and r.record.get("change_id") == change_id]


def approval(world: World, change_id: str, person: str) -> Coroutine[Any, Any, ChangeRequest]:
    """Approve what every proposal of these tests shows (revision 1, the executor's output),
    read before the units of work are counted."""
    seen = Seen(1, output_digest(world.executor.dry_run_output))
    return world.engine.approve(change_id, person, seen)


async def proposals(world: World, n: int) -> list[str]:
    return [(await world.propose("high")).id for _ in range(n)]


async def test_commands_queued_during_a_commit_share_the_next_unit_of_work(
    world: World, probe: ProbedUnits
) -> None:
    """The point of group commit: three clicks waiting on a commit cost one more, not three."""
    a, b, c, d = await proposals(world, 4)
    probe.reset()
    gate = probe.hold_next_commit()
    first = asyncio.create_task(approval(world, a, "n1"))
    await probe.at_gate.wait()  # a's unit of work is committing
    rest = await started(*(approval(world, x, "n1") for x in (b, c, d)))
    gate.set()
    decided = await answers(first, *rest)

    assert [cr.id for cr in decided] == [a, b, c, d]
    assert probe.reads == [[a], [b, c, d]]
    assert (probe.opened, probe.committed) == (2, 2)
    for change_id in (a, b, c, d):
        assert await voters(world, change_id) == ["n1"]


async def test_a_refusal_is_answered_alone_and_the_rest_of_the_group_commits(
    world: World, probe: ProbedUnits, backend: Backend
) -> None:
    """One refused click must not take down, or re-run, the others decided with it."""
    a, b, c = await proposals(world, 3)
    probe.reset()
    results = await answers(approval(world, a, "n1"),
                            approval(world, b, "req"),
                            approval(world, c, "n1"))

    assert isinstance(results[1], SelfApproval)
    assert [r.id for r in (results[0], results[2])] == [a, c]
    assert probe.reads == [[a, b, c]]
    assert probe.committed == 2  # the group, then the refusal's own audit event
    assert (await voters(world, a), await voters(world, b), await voters(world, c)) == (
        ["n1"], [], ["n1"])
    rows = list(await backend.audit_rows())
    assert audited(rows, "refused", b) == ["req"]


async def test_a_group_that_lost_a_race_is_run_again_alone_without_losing_a_vote(
    world: World, probe: ProbedUnits, backend: Backend
) -> None:
    """Another process saved b after the group read it: b's compare-and-set fails, so the whole
    group is re-run command by command; b keeps both votes, a and c are not voted twice."""
    a, b, c = await proposals(world, 3)
    stale = await world.get(b)
    await world.new_engine().approve(b, "n2", Seen.of(stale))  # the other writer
    probe.reset()
    probe.stale = {b: stale}  # what the group's read returns for b
    decided = await answers(*(approval(world, x, "n1") for x in (a, b, c)))

    assert probe.reads[0] == [a, b, c]  # tried once as a group...
    assert sorted(probe.reads[1:]) == [[a], [b], [c]]  # ...then each alone, a group of one
    assert (probe.opened, probe.committed) == (4, 3)
    assert decided[1].state is State.APPROVED
    assert await voters(world, b) == ["n2", "n1"]
    rows = list(await backend.audit_rows())
    assert [audited(rows, "response", x) for x in (a, b, c)] == [["n1"], ["n2", "n1"], ["n1"]]


async def test_a_group_whose_write_fails_is_run_again_and_each_keeps_its_outcome(
    world: World, probe: ProbedUnits, backend: Backend
) -> None:
    """A database error in the group's write: nothing of the group lands, each command is
    decided again alone, approvals once and the refusal still refused."""
    a, b, c = await proposals(world, 3)
    probe.reset()
    probe.fail = RuntimeError("connection reset by peer")
    results = await answers(approval(world, a, "n1"),
                            approval(world, b, "req"),
                            approval(world, c, "n1"))

    assert isinstance(results[1], SelfApproval)
    assert [r.id for r in (results[0], results[2])] == [a, c]
    assert probe.reads[0] == [a, b, c]
    assert sorted(probe.reads[1:]) == [[a], [b], [c]]  # then each alone, a group of one
    assert probe.committed == 3  # a alone, c alone, b's refusal
    rows = list(await backend.audit_rows())
    assert [audited(rows, "response", x) for x in (a, b, c)] == [["n1"], [], ["n1"]]
    assert audited(rows, "refused", b) == ["req"]
    sent = [str(m.change_id) for m in await backend.outbox_messages()
            if m.payload["kind"] == "response"]
    assert sorted(sent) == sorted([a, c])


@pytest.mark.parametrize("group_fails", [False, True], ids=["commits", "re-run-alone"])
async def test_a_caller_that_stopped_waiting_does_not_block_the_others(
    world: World, probe: ProbedUnits, group_fails: bool
) -> None:
    """A cancelled caller's command is still decided, and answering the others (and later
    commands) goes on, whether the group commits or is re-run alone."""
    a, b, c = await proposals(world, 3)
    gate = probe.hold_next_commit()
    first = asyncio.create_task(approval(world, a, "n1"))
    await probe.at_gate.wait()
    gone, waiting = await started(approval(world, b, "n1"),
                                  approval(world, c, "n1"))
    gone.cancel()
    probe.fail = RuntimeError("connection reset by peer") if group_fails else None
    gate.set()
    async with asyncio.timeout(30):  # a failure to settle fails here instead of hanging
        await first
        assert (await waiting).id == c
    assert gone.cancelled()
    assert await voters(world, b) == ["n1"]  # decided all the same
    assert await voters(world, c) == ["n1"]
    async with asyncio.timeout(30):
        assert (await approval(world, b, "n2")).state is State.APPROVED


async def test_two_commands_on_one_change_never_share_a_group(
    world: World, probe: ProbedUnits
) -> None:
    """A cancelled caller frees its change for the next command while its own is still
    queued; the two must be decided one after the other, or one vote overwrites the other."""
    a, b = await proposals(world, 2)
    gate = probe.hold_next_commit()
    first = asyncio.create_task(approval(world, a, "n1"))
    await probe.at_gate.wait()
    (gone,) = await started(approval(world, b, "n1"))
    gone.cancel()
    (second,) = await started(approval(world, b, "n2"))
    probe.reset()
    gate.set()
    async with asyncio.timeout(30):
        await first
        assert (await second).state is State.APPROVED
    assert all(len(ids) == len(set(ids)) for ids in probe.reads)
    assert sorted(await voters(world, b)) == ["n1", "n2"]


# A submitted form's decision and its key are one commit (no write before it), and a replay of
# the same key is refused without a write.

KEY = "f" * 64


async def test_an_approval_and_its_gesture_are_one_commit(world: World, probe: ProbedUnits
                                                          ) -> None:
    cr = await world.propose("high")
    probe.reset()

    approved = await world.engine.approve(cr.id, "n1", Seen.of(cr), gesture=Gesture(KEY))

    assert probe.committed == 1  # the decision, with the key in it
    assert [r.person for r in approved.live_responses()] == ["n1"]


async def test_a_replayed_gesture_is_refused_without_a_write(world: World, probe: ProbedUnits
                                                             ) -> None:
    cr = await world.propose("high")
    await world.engine.approve(cr.id, "n1", Seen.of(cr), gesture=Gesture(KEY))
    await world.engine.withdraw_approval(cr.id, "n1")
    probe.reset()

    with pytest.raises(Replayed):
        await world.engine.approve(cr.id, "n1", Seen.of(cr), gesture=Gesture(KEY))

    assert probe.committed == 0
    after = await world.get(cr.id)
    assert after.live_responses() == () and after.state is State.PENDING_REVIEW


async def test_a_refused_gesture_leaves_its_key_free(world: World) -> None:
    cr = await world.propose("high")
    with pytest.raises(SelfApproval):
        await world.engine.approve(cr.id, "req", Seen.of(cr), gesture=Gesture(KEY))

    approved = await world.engine.approve(cr.id, "n1", Seen.of(cr), gesture=Gesture(KEY))

    assert [r.person for r in approved.live_responses()] == ["n1"]


async def test_a_committed_gesture_is_told_after_commit_with_where_to_answer_it(
        world: World) -> None:
    """How a form's answer on its card reaches delivery: through the commit, like any effect;
    a refused gesture asks for no answer."""
    cr = await world.propose("high")
    commits: list[Committed] = []
    world.engine.on_commit(lambda changes: commits.append(cast(Committed, changes)))

    with pytest.raises(SelfApproval):
        await world.engine.approve(cr.id, "req", Seen.of(cr), gesture=Gesture(KEY, "card-a"))
    approved = await world.engine.approve(cr.id, "n1", Seen.of(cr),
                                          gesture=Gesture(KEY, "card-b"))
    await world.engine.comment(cr.id, "n2", "looks fine")

    assert [[(r.change.version, r.to) for r in c.replies] for c in commits] == [
        [(approved.version, "card-b")], []]


async def test_one_gesture_twice_in_a_group_decides_once(world: World) -> None:
    """A group's keys are taken in one statement: the same key in it twice decides one
    change only, the other answered as a replay."""
    a, b = await world.propose("high"), await world.propose("high")

    outcomes = await asyncio.gather(
        world.engine.approve(a.id, "n1", Seen.of(a), gesture=Gesture(KEY)),
        world.engine.approve(b.id, "n1", Seen.of(b), gesture=Gesture(KEY)),
        return_exceptions=True)

    assert sorted(type(o).__name__ for o in outcomes) == ["ChangeRequest", "Replayed"]
    voted = [len((await world.get(cr.id)).live_responses()) for cr in (a, b)]
    assert sorted(voted) == [0, 1]
