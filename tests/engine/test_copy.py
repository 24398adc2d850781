"""Copy as new on every backend: a change that ended without being applied (failed, withdrawn,
rejected, expired) starts again as a new draft by whoever copies it, recorded in its `proposed`
event; anything still in flight, applied or of unknown outcome is refused, saying why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.backends import Backend
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.errors import SubmitDenied, WrongState
from workflow.model import ApplyStatus, ChangeRequest, State
from workflow.ports import ApplyResult


async def failed(world: World) -> ChangeRequest:
    world.executor.result = ApplyResult(ApplyStatus.FAILED, "error: commit failed")
    cr = await world.propose("low")  # no stages: approved at once
    done = await world.engine.apply(cr.id, "req")
    assert done.state is State.FAILED
    return done


async def test_a_failed_change_is_copied_as_a_new_draft_naming_its_source(
        world: World, backend: Backend) -> None:
    source = await failed(world)

    copy = await world.engine.copy(source.id, "n1")

    assert copy.id != source.id and copy.state is State.DRAFT
    assert (copy.requester, copy.revision, copy.dry_run, copy.apply) == ("n1", 1, None, None)
    assert copy.content == source.content and copy.metadata == source.metadata
    assert copy.responses == () and copy.workflow is None
    assert await world.get(source.id) == source  # the source is left as it was
    proposed = [r.record for r in await backend.audit_rows()
                if r.record["change_id"] == copy.id and r.record["kind"] == "proposed"]
    assert len(proposed) == 1
    assert (proposed[0]["actor"], proposed[0]["data"]["copied_from"],
            proposed[0]["data"]["copied_revision"]) == ("n1", source.id, 1)
    submitted = await world.engine.submit(copy.id, "n1")
    assert submitted.state is State.APPROVED  # low risk: through review like any proposal


async def test_withdrawn_rejected_and_expired_changes_are_copied_too(world: World) -> None:
    withdrawn = await world.propose("high")
    await world.engine.withdraw_request(withdrawn.id, "req")
    rejected = await world.propose("high")
    await reject_seen(world.engine, rejected.id, "n1", "wrong peer")
    expired = await world.propose("high")
    world.clock.advance(hours=73)
    assert (await world.engine.fire_deadline(expired.id)).state is State.EXPIRED

    for source in (withdrawn, rejected, expired):
        copy = await world.engine.copy(source.id, "req")
        assert (copy.state, copy.requester, copy.content) == (State.DRAFT, "req", source.content)


async def test_a_change_in_review_is_refused_saying_why_and_the_refusal_is_audited(
        world: World, backend: Backend) -> None:
    in_review = await world.propose("high")
    before = await backend.audit_rows()

    with pytest.raises(WrongState) as refused:
        await world.engine.copy(in_review.id, "req")

    assert refused.value.message.startswith(f"cannot copy: {in_review.id} is pending review")
    assert "failed, withdrawn, rejected or expired" in refused.value.message
    assert "edit it instead, or withdraw it first" in refused.value.message
    after = await backend.audit_rows()
    assert len(after) == len(before) + 1
    assert (after[-1].record["kind"], after[-1].record["change_id"],
            after[-1].record["data"]["reason"]) == ("refused", in_review.id, "wrong_state")


async def test_applied_unknown_and_open_changes_are_never_copied(world: World) -> None:
    draft = await world.propose("high", submit=False)
    approved = await world.propose("high")
    for person in ("n1", "n2"):
        await approve_seen(world.engine, approved.id, person)
    applied = await world.propose("low")
    await world.engine.apply(applied.id, "req")
    world.executor.result = ApplyResult(ApplyStatus.UNKNOWN, "the target stopped answering")
    unknown = await world.propose("low")
    await world.engine.apply(unknown.id, "req")

    for cr, why in ((draft, "is a draft"), (approved, "is already approved"),
                    (applied, "is already applied"), (unknown, "outcome is unknown")):
        with pytest.raises(WrongState, match=why):
            await world.engine.copy(cr.id, "req")


async def test_a_schedule_that_has_passed_is_left_out_of_the_copy(world: World) -> None:
    soon = world.clock.now() + timedelta(hours=1)
    later = world.clock.now() + timedelta(days=30)
    gone = await world.propose("high", scheduled_for=soon)
    kept = await world.propose("high", scheduled_for=later)
    for cr in (gone, kept):
        await world.engine.withdraw_request(cr.id, "req")
    world.clock.advance(hours=2)

    assert (await world.engine.copy(gone.id, "req")).content.scheduled_for is None
    assert (await world.engine.copy(kept.id, "req")).content.scheduled_for == later


async def test_the_submit_rules_apply_to_whoever_copies(world: World) -> None:
    source = await world.propose("high", family="core-router", action="reload")
    await world.engine.withdraw_request(source.id, "req")

    with pytest.raises(SubmitDenied):
        await world.engine.copy(source.id, "con")  # contractors may not reload core routers
