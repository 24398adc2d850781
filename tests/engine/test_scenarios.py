"""The 34 acceptance scenarios of the workflow (docs/workflow.md), over the real engine on every
backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.audit_chain import verify_rows
from tests.support.backends import Backend
from tests.support.executor import ProcessKilled
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.errors import (
    AlreadyApprovedStage,
    AlreadyResponded,
    CommentRequired,
    DryRunStale,
    NoDryRun,
    NotEligible,
    NotRequester,
    NoWorkflowMatches,
    SelfApproval,
    StageNotOpen,
    SubmitDenied,
    WorkflowError,
    WrongState,
)
from workflow.events import EventKind
from workflow.model import ApplyStatus, State
from workflow.progress import active_stage, stage_progress


def kinds(rows: object) -> list[str]:
    return [r.record["kind"] for r in rows]  # type: ignore[attr-defined]


async def test_01_low_risk_is_approved_at_once_by_the_system(world: World, backend: Backend):
    cr = await world.propose("low")
    assert cr.state is State.APPROVED
    rows = await backend.audit_rows()
    approved = [r.record for r in rows if r.record["kind"] == "approved"]
    assert approved[0]["actor"] == "system"
    assert approved[0]["data"]["reason"] == "no approval required"
    assert "stage_approved" not in kinds(rows)


async def test_02_medium_one_network_engineer_approves(world: World):
    cr = await world.propose("medium")
    cr = await approve_seen(world.engine, cr.id, "e1")
    assert cr.state is State.APPROVED
    progress = stage_progress(cr, 0)
    assert progress.requirements[0].approvers == ("e1",)
    assert progress.requirements[0].requirement.count == 1


async def test_03_high_needs_two_seniors_and_a_third_is_refused(world: World):
    cr = await world.propose("high")
    cr = await approve_seen(world.engine, cr.id, "n1")
    assert cr.state is State.PENDING_REVIEW
    assert stage_progress(cr, 0).requirements[0].approvers == ("n1",)
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED
    with pytest.raises(WrongState, match="already approved"):
        await approve_seen(world.engine, cr.id, "n3")


async def test_04_critical_runs_two_stages_in_order(world: World, backend: Backend):
    cr = await world.propose("critical")
    with pytest.raises(StageNotOpen, match=r"stage 2 .* opens after stage 1"):
        await approve_seen(world.engine, cr.id, "c1")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.PENDING_REVIEW
    assert active_stage(cr) == 1
    stage_events = [r.record for r in await backend.audit_rows()
                    if r.record["kind"] == "stage_approved"]
    assert stage_events[0]["data"]["stage"] == 1
    cr = await approve_seen(world.engine, cr.id, "c1")
    assert cr.state is State.APPROVED


async def test_05_requester_in_the_group_cannot_approve_own_change(world: World, backend: Backend):
    cr = await world.propose("high", actor="req")
    with pytest.raises(SelfApproval, match="you requested"):
        await approve_seen(world.engine, cr.id, "req")
    cr = await world.get(cr.id)
    assert cr.live_responses() == ()
    refused = [r.record for r in await backend.audit_rows() if r.record["kind"] == "refused"]
    assert refused[-1]["data"]["reason"] == "self_approval"
    assert refused[-1]["actor"] == "req"


async def test_06_every_revision_author_is_barred(world: World):
    cr = await world.propose("high", actor="req", submit=False)
    edited = await world.engine.edit(
        cr.id, "n3", content=cr.content.__class__(**{**_fields(cr.content), "target": "edge-2"})
    )
    assert edited.revision == 2
    await world.engine.record_dry_run(cr.id, "n3", "+ neighbor on edge-2")
    await world.engine.submit(cr.id, "req")
    for author in ("req", "n3"):
        with pytest.raises(SelfApproval):
            await approve_seen(world.engine, cr.id, author)
    cr = await approve_seen(world.engine, cr.id, "n1")
    assert cr.live_responses()[0].person == "n1"


def _fields(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}  # type: ignore[attr-defined]


async def test_07_reject_needs_a_reason_and_rejects_at_once(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    with pytest.raises(CommentRequired):
        await reject_seen(world.engine, cr.id, "n2", "   ")
    assert (await world.get(cr.id)).state is State.PENDING_REVIEW
    cr = await reject_seen(world.engine, cr.id, "n2", "wrong AS number")
    assert cr.state is State.REJECTED


async def test_08_approve_then_reject_keeps_both_in_history(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await reject_seen(world.engine, cr.id, "n1", "saw a typo after all")
    assert cr.state is State.REJECTED
    mine = [r for r in cr.responses if r.person == "n1"]
    assert [(r.verdict.value, r.ended) for r in mine] == [("approve", "superseded"),
                                                          ("reject", None)]


async def test_09_nobody_cannot_respond(world: World):
    cr = await world.propose("high")
    with pytest.raises(NotEligible, match="not an approver for the active stage"):
        await approve_seen(world.engine, cr.id, "x")
    with pytest.raises(NotEligible):
        await reject_seen(world.engine, cr.id, "x", "no")


async def test_10_double_click_counts_once_and_audits_once(world: World, backend: Backend):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    with pytest.raises(AlreadyResponded):
        await approve_seen(world.engine, cr.id, "n1")
    cr = await world.get(cr.id)
    assert len(cr.live_responses()) == 1
    assert kinds(await backend.audit_rows()).count("response") == 1


async def test_11_comment_by_anyone_never_counts(world: World):
    cr = await world.propose("high")
    cr = await world.engine.comment(cr.id, "x", "is this during the freeze?")
    assert cr.comments[-1].person == "x"
    assert cr.live_responses() == ()
    assert cr.state is State.PENDING_REVIEW


async def test_12_withdrawn_approval_reopens_review_and_disarms_schedule(world: World):
    when = world.clock.now() + timedelta(hours=2)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.SCHEDULED
    cr = await world.engine.withdraw_approval(cr.id, "n2")
    assert cr.state is State.PENDING_REVIEW
    assert cr.apply_at is None
    assert stage_progress(cr, 0).requirements[0].approvers == ("n1",)
    world.clock.set(when + timedelta(minutes=1))
    cr = await world.engine.fire_deadline(cr.id)
    assert cr.state is State.PENDING_REVIEW
    assert world.executor.applies == []


async def _approved_high(world: World) -> str:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED
    return cr.id


async def test_13_withdraw_while_executing_is_refused(world: World):
    change_id = await _approved_high(world)
    world.executor.result = None  # an outside pipeline reports later: stays executing
    cr = await world.engine.apply(change_id, "req")
    assert cr.state is State.EXECUTING
    with pytest.raises(WrongState, match="being applied"):
        await world.engine.withdraw_approval(change_id, "n1")
    with pytest.raises(WrongState, match="being applied"):
        await world.engine.withdraw_request(change_id, "req")


async def test_14_requester_withdraws_request_and_later_approvals_are_refused(world: World):
    cr = await world.propose("high")
    cr = await world.engine.withdraw_request(cr.id, "req")
    assert cr.state is State.CANCELLED
    with pytest.raises(WrongState, match="already cancelled"):
        await approve_seen(world.engine, cr.id, "n1")


async def test_15_only_the_requester_withdraws_the_request(world: World):
    cr = await world.propose("high")
    with pytest.raises(NotRequester):
        await world.engine.withdraw_request(cr.id, "n1")
    assert (await world.get(cr.id)).state is State.PENDING_REVIEW


async def test_16_no_dry_run_no_approval(world: World):
    cr = await world.propose("high", dry_run=False)
    with pytest.raises(NoDryRun, match=r"dry-run .* first"):
        await approve_seen(world.engine, cr.id, "n1")


async def test_17_dry_run_freshness_boundary_is_inclusive(world: World):
    cr = await world.propose("high")
    world.clock.advance(minutes=30)
    cr = await approve_seen(world.engine, cr.id, "n1")
    assert len(cr.live_responses()) == 1
    world.clock.advance(seconds=1)
    with pytest.raises(DryRunStale, match=r"dry-run is 30m01s old \(limit 30m\): re-run it"):
        await approve_seen(world.engine, cr.id, "n2")


async def test_18_new_digest_invalidates_same_digest_keeps(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await world.engine.record_dry_run(cr.id, "req", "different output H2")
    assert cr.live_responses() == ()
    assert active_stage(cr) == 0
    assert cr.dry_run is not None
    await approve_seen(world.engine, cr.id, "n1", digest=cr.dry_run.digest)
    world.clock.advance(minutes=20)
    cr = await world.engine.record_dry_run(cr.id, "req", "different output H2  \n")
    assert [r.person for r in cr.live_responses()] == ["n1"]
    assert cr.dry_run is not None and cr.dry_run.taken_at == world.clock.now()


async def test_19_stale_dry_run_is_rerun_at_apply(world: World):
    cr = await world.propose("high")
    world.clock.advance(minutes=25)
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.clock.advance(minutes=10)
    cr = await world.engine.apply(cr.id, "req")
    assert world.executor.dry_runs == [cr.id]
    assert cr.state is State.APPLIED


async def test_19b_stale_dry_run_with_changed_digest_returns_to_review(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.clock.advance(minutes=35)
    world.executor.dry_run_output = "something else entirely"
    with pytest.raises(WorkflowError, match="approvals were invalidated"):
        await world.engine.apply(cr.id, "req")
    cr = await world.get(cr.id)
    assert cr.state is State.PENDING_REVIEW
    assert world.executor.applies == []


async def test_20_scheduled_apply_reruns_dry_run_and_applies_once(world: World):
    when = world.clock.now() + timedelta(hours=2)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.SCHEDULED
    world.clock.advance(hours=1)
    assert (await world.engine.fire_deadline(cr.id)).state is State.SCHEDULED
    world.clock.set(when)
    cr = await world.engine.fire_deadline(cr.id)
    assert cr.state is State.APPLIED
    await world.engine.fire_deadline(cr.id)
    assert world.executor.dry_runs == [cr.id]
    assert len(world.executor.applies) == 1


async def test_20b_scheduled_apply_with_changed_digest_returns_to_review(
    world: World, backend: Backend
):
    when = world.clock.now() + timedelta(hours=2)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.clock.set(when)
    world.executor.dry_run_output = "drifted"
    cr = await world.engine.fire_deadline(cr.id)
    assert cr.state is State.PENDING_REVIEW
    assert world.executor.applies == []
    told = [r.record for r in await backend.audit_rows()
            if r.record["kind"] == "approvals_invalidated"]
    assert sorted(told[-1]["data"]["people"]) == ["n1", "n2"]


@pytest.mark.parametrize(("late", "applied"), [(5, True), (120, False)])
async def test_21_late_final_approval_inside_and_outside_grace(
    world: World, late: int, applied: bool
):
    when = world.clock.now() + timedelta(minutes=10)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.set(when + timedelta(minutes=late))
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED and world.executor.applies == []
    assert cr.apply_at == (world.clock.now() if applied else None)  # due at once, or never
    cr = await world.engine.fire_deadline(cr.id)  # what its timer does
    assert cr.state is (State.APPLIED if applied else State.APPROVED)
    assert len(world.executor.applies) == (1 if applied else 0)


async def test_22_timeout_expires_and_partial_approvals_do_not_carry_over(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.advance(hours=71, minutes=59)
    assert (await world.engine.fire_deadline(cr.id)).state is State.PENDING_REVIEW
    world.clock.advance(minutes=1)
    cr = await world.engine.fire_deadline(cr.id)
    assert cr.state is State.EXPIRED
    cr = await world.engine.edit(cr.id, "req", content=cr.content.__class__(
        **{**_fields(cr.content), "payload": "neighbor 192.0.2.9 remote-as 65001"}))
    await world.engine.record_dry_run(cr.id, "req", "rev 2 output")
    cr = await world.engine.submit(cr.id, "req")
    assert cr.revision == 2
    assert cr.live_responses() == ()
    assert stage_progress(cr, 0).requirements[0].approvers == ()


async def test_23_policy_edits_never_touch_in_flight_changes(world: World):
    in_flight = await world.propose("high")
    world.use_policy(world.policy_text.replace(
        "stages: [{name: Senior review, require: [{group: senior-network-engineers, count: 2}]}]",
        "stages: [{name: Senior review, require: [{group: senior-network-engineers, count: 3}]}]",
    ))
    fresh = await world.propose("high")
    assert fresh.workflow is not None and fresh.workflow.stages[0].requirements[0].count == 3
    for change in (in_flight, fresh):
        await approve_seen(world.engine, change.id, "n1")
        await approve_seen(world.engine, change.id, "n2")
    assert (await world.get(in_flight.id)).state is State.APPROVED
    assert (await world.get(fresh.id)).state is State.PENDING_REVIEW


PRIORITY_POLICY = """
groups:
  ops: {members: [n1, n2]}
workflows:
  - {name: prod, priority: 10, match: {labels: [env=prod]},
     stages: [{require: [{group: ops, count: 2}]}]}
  - {name: everything-else, priority: 20, stages: [{require: [{group: ops, count: 1}]}]}
"""


async def test_24_lowest_priority_number_among_matches_wins(world: World):
    world.use_policy(PRIORITY_POLICY)
    prod = await world.propose("high", labels=("env=prod",))
    other = await world.propose("high", labels=("env=lab",))
    assert prod.workflow is not None and prod.workflow.name == "prod"
    assert other.workflow is not None and other.workflow.name == "everything-else"


async def test_25_no_matching_workflow_refuses_and_creates_nothing(
    world: World, backend: Backend
):
    world.use_policy(PRIORITY_POLICY.replace(
        "  - {name: everything-else, priority: 20, "
        "stages: [{require: [{group: ops, count: 1}]}]}\n",
        "",
    ))
    with pytest.raises(NoWorkflowMatches, match="no approval workflow matches"):
        await world.propose("high", labels=("env=lab",))
    assert await world.engine.get("CHG-1") is None
    assert "proposed" not in kinds(await backend.audit_rows())


async def test_26_contractor_denied_on_core_router_reload(world: World, backend: Backend):
    with pytest.raises(SubmitDenied, match="denied by policy"):
        await world.propose("high", actor="con", family="core-router", action="reload")
    rows = await backend.audit_rows()
    assert kinds(rows) == ["refused"]
    assert rows[0].record["data"]["reason"] == "denied_by_policy"


async def test_27_count_above_group_size_fails_loading_with_key_path():
    from workflow.policy import PolicyError, parse_policy

    bad = PRIORITY_POLICY.replace("count: 2", "count: 3")
    with pytest.raises(PolicyError, match=r"workflows\[0\]\.stages\[0\]\.require\[0\]\.count"):
        parse_policy(bad, "bad.yaml")


async def test_28_one_person_cannot_approve_two_stages(world: World):
    cr = await world.propose("critical")
    await approve_seen(world.engine, cr.id, "s1")
    cr = await approve_seen(world.engine, cr.id, "n1")
    assert active_stage(cr) == 1
    with pytest.raises(AlreadyApprovedStage, match="only one stage"):
        await approve_seen(world.engine, cr.id, "s1")


async def test_29_simultaneous_final_approvals_one_transition_one_apply(
    world: World, backend: Backend
):
    world.use_policy(world.policy_text.replace("name: high, priority: 20,",
                                               "name: high, priority: 20, apply: auto,"))
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    results = await asyncio.gather(
        approve_seen(world.engine, cr.id, "n2"), approve_seen(world.engine, cr.id, "n3"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], WrongState)
    # two replicas' timers fire the due apply at once: one starts it, the other finds it started
    await asyncio.gather(world.engine.fire_deadline(cr.id), world.new_engine().fire_deadline(cr.id),
                         return_exceptions=True)
    cr = await world.get(cr.id)
    assert cr.state is State.APPLIED
    assert len(world.executor.applies) == 1
    assert kinds(await backend.audit_rows()).count("approved") == 1


async def test_30_final_approval_races_withdrawal_of_request(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    results = await asyncio.gather(
        approve_seen(world.engine, cr.id, "n2"), world.engine.withdraw_request(cr.id, "req"),
        return_exceptions=True,
    )
    approve_result, withdraw_result = results
    # Withdrawal is allowed from pending_review and approved alike, so it always lands; the
    # approval either committed first (and was overtaken) or is refused with the final state.
    assert not isinstance(withdraw_result, BaseException)
    if isinstance(approve_result, BaseException):
        assert isinstance(approve_result, WrongState)
        assert "already cancelled" in str(approve_result)
    final = await world.get(cr.id)
    assert final.state is State.CANCELLED


async def test_31_expiry_races_last_approval(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.advance(hours=72, seconds=-1)
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    world.clock.advance(seconds=1)  # the approval timeout is due now
    results = await asyncio.gather(
        approve_seen(world.engine, cr.id, "n2"), world.engine.fire_deadline(cr.id),
        return_exceptions=True,
    )
    final = await world.get(cr.id)
    assert final.state is State.EXPIRED  # the timeout is checked by the approval itself too
    assert isinstance(results[0], WrongState)


async def test_32_crash_mid_apply_leaves_apply_unknown_never_reapplied(world: World):
    change_id = await _approved_high(world)
    world.executor.raise_on_apply = ProcessKilled()
    with pytest.raises(ProcessKilled):
        await world.engine.apply(change_id, "req")
    assert (await world.get(change_id)).state is State.EXECUTING
    restarted = world.new_engine()
    assert await restarted.recover_interrupted_applies() == [change_id]
    cr = await world.get(change_id)
    assert cr.state is State.APPLY_UNKNOWN
    with pytest.raises(WrongState):
        await restarted.apply(change_id, "req")
    assert len(world.executor.applies) == 1
    cr = await restarted.resolve(change_id, "n1", ApplyStatus.APPLIED, "checked the device config")
    assert cr.state is State.APPLIED


async def test_33_audit_trail_is_ordered_chained_and_tamper_evident(
    world: World, backend: Backend
):
    change_id = await _approved_high(world)
    world.clock.advance(minutes=5)
    await world.engine.apply(change_id, "req")
    rows = await backend.audit_rows()
    assert kinds(rows) == [
        "proposed", "dry_run_recorded", "submitted", "response", "response",
        "stage_approved", "approved", "apply_started", "applied",
    ]
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    responses = [r.record for r in rows if r.record["kind"] == "response"]
    assert [r["actor"] for r in responses] == ["n1", "n2"]
    assert all(r["digest"] for r in responses)
    applied = rows[-1].record
    assert applied["since_proposal_s"] == 300.0
    assert verify_rows(rows).ok
    for seq in (len(rows), 5, 1):  # each newly tampered row is the first bad one
        await backend.tamper(seq, "mallory")
        result = verify_rows(await backend.audit_rows())
        assert not result.ok and result.bad_seq == seq


async def test_34_rejected_change_revised_starts_a_new_cycle(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await reject_seen(world.engine, cr.id, "n2", "use a route-map")
    cr = await world.engine.edit(cr.id, "req", content=cr.content.__class__(
        **{**_fields(cr.content), "payload": "neighbor 192.0.2.1 route-map IN in"}))
    assert cr.state is State.DRAFT and cr.revision == 2
    await world.engine.record_dry_run(cr.id, "req", "rev 2")
    cr = await world.engine.submit(cr.id, "req")
    assert cr.live_responses() == ()
    old = [(r.person, r.verdict.value, r.comment) for r in cr.responses if r.revision == 1]
    assert ("n2", "reject", "use a route-map") in old
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert [r.person for r in cr.live_responses()] == ["n2"]
    assert EventKind.REVISED.value == "revised"
