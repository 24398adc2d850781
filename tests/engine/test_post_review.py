"""The post-implementation review: only the requester, only once the apply ended, replaceable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.backends import Backend
from tests.support.policies import SCENARIO_POLICY
from tests.support.world import World
from workflow.errors import InvalidInput, NotRequester, WrongState
from workflow.model import ApplyStatus, State
from workflow.ports import ApplyResult
from workflow.post_review import ReviewOutcome

LINK = "https://tickets.example.net/INC-7"


async def _applied(world: World, status: ApplyStatus = ApplyStatus.APPLIED) -> str:
    cr = await world.propose("low")
    world.executor.result = ApplyResult(status, "done")
    cr = await world.engine.apply(cr.id, "req")
    assert cr.state is (State.APPLIED if status is ApplyStatus.APPLIED else State.FAILED)
    return cr.id


async def test_the_requester_reviews_an_applied_change_and_the_audit_keeps_it(
        world: World, backend: Backend) -> None:
    change_id = await _applied(world)
    world.clock.advance(hours=2)

    cr = await world.engine.post_review(change_id, "req", ReviewOutcome.SUCCESSFUL_WITH_ISSUES,
                                        " BGP flapped once ", (LINK,))

    review = cr.post_review
    assert review is not None
    assert (review.outcome, review.note, review.links, review.by, review.at) == (
        ReviewOutcome.SUCCESSFUL_WITH_ISSUES, "BGP flapped once", (LINK,), "req",
        world.clock.now())
    assert (await world.get(change_id)).post_review == review
    reviewed = [r.record for r in await backend.audit_rows()
                if r.record["kind"] == "post_reviewed"]
    assert [r["data"] for r in reviewed] == [{"outcome": "successful_with_issues",
                                             "note": "BGP flapped once", "links": [LINK],
                                             "replaced": False}]


async def test_a_new_review_replaces_the_last_and_both_are_audited(
        world: World, backend: Backend) -> None:
    change_id = await _applied(world, ApplyStatus.FAILED)
    await world.engine.post_review(change_id, "req", ReviewOutcome.FAILED, "timeout on edge-1")

    cr = await world.engine.post_review(change_id, "req", ReviewOutcome.ROLLED_BACK,
                                        "rolled back by hand")

    assert cr.post_review is not None and cr.post_review.outcome is ReviewOutcome.ROLLED_BACK
    reviewed = [r.record["data"] for r in await backend.audit_rows()
                if r.record["kind"] == "post_reviewed"]
    assert [(d["outcome"], d["replaced"]) for d in reviewed] == [
        ("failed", False), ("rolled_back", True)]


async def test_only_the_requester_reviews_and_only_after_the_apply_ended(world: World) -> None:
    pending = await world.propose("high")
    with pytest.raises(WrongState, match="pending review"):
        await world.engine.post_review(pending.id, "req", ReviewOutcome.SUCCESSFUL, "fine")
    change_id = await _applied(world)

    with pytest.raises(NotRequester, match="only the requester"):
        await world.engine.post_review(change_id, "n1", ReviewOutcome.SUCCESSFUL, "fine")

    assert (await world.get(change_id)).post_review is None


@pytest.mark.parametrize(("note", "links", "field"), [
    ("  ", (), "note"),
    ("fine", ("ftp://files.example.net/x",), "links[0]"),
    ("fine", (LINK + " x",), "links[0]"),
    ("fine", (LINK,) * 11, "links"),
])
async def test_a_blank_note_or_a_bad_link_is_refused(world: World, note: str,
                                                     links: tuple[str, ...], field: str) -> None:
    change_id = await _applied(world)

    with pytest.raises(InvalidInput) as refused:
        await world.engine.post_review(change_id, "req", ReviewOutcome.SUCCESSFUL, note, links)

    assert refused.value.field == field
    assert (await world.get(change_id)).post_review is None


REQUIRED = SCENARIO_POLICY.replace(
    "  - {name: low, priority: 40, match: {risk: low}, stages: []}",
    "  - {name: low, priority: 40, match: {risk: low}, stages: [], post_review: required,\n"
    "     post_review_due: 24h}")


async def test_a_required_review_reminds_the_requester_until_it_is_recorded(
        world: World, backend: Backend) -> None:
    assert REQUIRED != SCENARIO_POLICY
    world.use_policy(REQUIRED)
    change_id = await _applied(world)
    applied = await world.get(change_id)
    assert applied.remind_at == world.clock.now() + timedelta(hours=24)

    world.clock.advance(hours=23, minutes=59)
    await world.engine.fire_deadline(change_id)  # early: nothing
    world.clock.advance(minutes=1)
    await world.engine.fire_deadline(change_id)
    await world.engine.fire_deadline(change_id)  # repeated: still one reminder
    reminded = await world.get(change_id)
    await world.engine.post_review(change_id, "req", ReviewOutcome.SUCCESSFUL, "all good")
    world.clock.advance(hours=48)
    await world.engine.fire_deadline(change_id)

    due = [r.record for r in await backend.audit_rows() if r.record["kind"] == "post_review_due"]
    assert [(d["actor"], d["data"]["notify"]) for d in due] == [("system", "req")]
    assert reminded.remind_at == world.clock.now() - timedelta(hours=24)
    assert (await world.get(change_id)).remind_at is None


async def test_an_optional_review_sets_no_reminder(world: World) -> None:
    change_id = await _applied(world)

    assert (await world.get(change_id)).remind_at is None
