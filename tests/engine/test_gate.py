"""The gate holds: outcomes, dry-runs, digests and deadlines are rules of the deciding command,
on every storage backend (each test fails if its rule is dropped from the core)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.executors.programs import policy_with
from tests.support.backends import Backend
from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.errors import (
    DigestChanged,
    DryRunNotAccepted,
    InvalidInput,
    NoDryRun,
    NothingToWithdraw,
    NotPermitted,
    ResultNotExpected,
    RevisionChanged,
    ScheduleMissed,
    WrongState,
)
from workflow.model import ApplyStatus, Content, Metadata, Risk, State

DEVICE = {"device": {"kind": "command", "argv": ["/bin/true"]}}
PIPELINE = {"pipeline": {"kind": "external"}}


def bound(world: World, executors: dict[str, object], high: str = "") -> World:
    """The scenario policy with every family bound to the one executor given; `high` adds keys
    to the high-risk workflow."""
    name = next(iter(executors))
    text = policy_with(executors, {"default": {"executor": name}})
    high_workflow = "{name: high, priority: 20,"
    world.use_policy(text.replace(high_workflow, high_workflow + high))
    world.engine = world.new_engine()
    return world


async def records(backend: Backend, kind: str | None = None) -> list[Mapping[str, Any]]:
    """The audit records, of one kind when given."""
    rows = [row.record for row in await backend.audit_rows()]
    return [r for r in rows if kind is None or r["kind"] == kind]


async def kinds(backend: Backend, change_id: str) -> list[str]:
    return [r["kind"] for r in await records(backend) if r["change_id"] == change_id]


async def refusal_reasons(backend: Backend, change_id: str) -> list[str]:
    return [r["data"]["reason"] for r in await records(backend, "refused")
            if r["change_id"] == change_id]


async def approved(world: World) -> str:
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED
    return cr.id


async def test_an_apply_names_the_revision_it_was_asked_for(world: World, backend: Backend):
    change_id = await approved(world)

    with pytest.raises(RevisionChanged, match="not the revision 2 you asked to apply"):
        await world.engine.apply(change_id, "req", revision=2)

    assert (await world.get(change_id)).state is State.APPROVED
    assert world.executor.applies == []
    assert await refusal_reasons(backend, change_id) == ["revision_changed"]
    assert (await world.engine.apply(change_id, "req", revision=1)).state is State.APPLIED


async def test_an_edit_never_replaces_a_revision_its_editor_did_not_see(
    world: World, backend: Backend,
):
    cr = await world.propose("high")
    edited = await world.engine.edit(cr.id, "req", replace(cr.content, target="edge-9"),
                                     revision=1)
    assert edited.revision == 2

    with pytest.raises(RevisionChanged, match="not the revision 1 you edited"):
        await world.engine.edit(cr.id, "req", replace(cr.content, target="edge-7"), revision=1)

    after = await world.get(cr.id)
    assert after.revision == 2 and after.content.target == "edge-9"
    assert await refusal_reasons(backend, cr.id) == ["revision_changed"]


# 1. Outcome forgery --------------------------------------------------------------------------

async def test_a_report_never_overrules_changegates_own_executor(world: World, backend: Backend):
    bound(world, DEVICE)
    change_id = await approved(world)
    world.executor.result = None  # the executor is still running: the apply stays executing
    cr = await world.engine.apply(change_id, "req")
    assert cr.state is State.EXECUTING and cr.apply is not None
    with pytest.raises(ResultNotExpected, match="records the outcome itself"):
        await world.engine.record_outcome(change_id, "n1", cr.apply.key, ApplyStatus.APPLIED)
    assert (await world.get(change_id)).state is State.EXECUTING
    assert "result_not_expected" in await refusal_reasons(backend, change_id)


async def test_an_external_pipeline_reports_its_own_apply(world: World):
    bound(world, PIPELINE)
    change_id = await approved(world)
    world.executor.result = None  # the pipeline reports later
    cr = await world.engine.apply(change_id, "req")
    assert cr.state is State.EXECUTING
    with pytest.raises(ResultNotExpected, match="is not the running apply"):
        await world.engine.record_outcome(change_id, "n1", f"{change_id}:9:x", ApplyStatus.APPLIED)
    with pytest.raises(NotPermitted):
        await world.engine.record_outcome(change_id, "x", None, ApplyStatus.APPLIED)
    cr = await world.engine.record_outcome(change_id, "n1", None, ApplyStatus.APPLIED)
    assert cr.state is State.APPLIED


async def test_a_report_for_an_apply_that_is_not_running_is_refused(world: World):
    bound(world, PIPELINE)
    change_id = await approved(world)
    with pytest.raises(ResultNotExpected, match="no apply"):
        await world.engine.record_outcome(change_id, "req", None, ApplyStatus.APPLIED)
    assert (await world.get(change_id)).state is State.APPROVED


# 3. Approval bound to what the approver saw -------------------------------------------------

async def test_an_approval_of_a_digest_nobody_shows_any_more_is_refused(world: World):
    cr = await world.propose("high")
    assert cr.dry_run is not None
    seen = cr.dry_run.digest
    cr = await world.engine.record_dry_run(cr.id, "req", "+ something else entirely")
    assert cr.dry_run is not None
    with pytest.raises(DigestChanged, match=cr.dry_run.digest[:12]):
        await approve_seen(world.engine, cr.id, "n1", revision=1, digest=seen)
    with pytest.raises(DigestChanged, match="since you saw no dry-run"):
        await approve_seen(world.engine, cr.id, "n1", revision=1, digest=None)
    cr = await approve_seen(world.engine, cr.id, "n1", revision=1,
                            digest=f"sha256:{cr.dry_run.digest}")
    assert [r.digest for r in cr.live_responses()] == [cr.dry_run.digest]


async def test_a_rejection_is_bound_like_an_approval(world: World):
    cr = await world.propose("high")
    with pytest.raises(RevisionChanged):
        await reject_seen(world.engine, cr.id, "n1", "not now", revision=2)
    with pytest.raises(DigestChanged):
        await reject_seen(world.engine, cr.id, "n1", "not now", digest="0" * 64)
    assert (await world.get(cr.id)).state is State.PENDING_REVIEW


async def test_the_same_output_again_keeps_what_the_approver_saw(world: World):
    cr = shown = await world.propose("high")
    assert shown.dry_run is not None
    world.clock.advance(minutes=10)
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    cr = await approve_seen(world.engine, cr.id, "n1", revision=1,
                            digest=f"sha256:{shown.dry_run.digest}")
    assert len(cr.live_responses()) == 1


# 4. Deadlines are rules, not only timers -----------------------------------------------------

async def test_an_approval_after_the_timeout_expires_the_change_without_a_timer(
    world: World, backend: Backend
):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.advance(hours=72, seconds=4)  # no timer fired: every replica was down
    with pytest.raises(WrongState, match="expired"):
        await approve_seen(world.engine, cr.id, "n2")
    final = await world.get(cr.id)
    assert final.state is State.EXPIRED and final.live_responses() == ()
    assert (await kinds(backend, cr.id))[-2:] == ["expired", "refused"]


async def test_a_missed_schedule_is_never_applied_late(world: World, backend: Backend):
    when = world.clock.now() + timedelta(hours=1)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.SCHEDULED
    world.clock.set(when + timedelta(hours=5))  # the bot was down past the 15 min grace
    cr = await world.engine.fire_deadline(cr.id)
    assert cr.state is State.EXPIRED and world.executor.applies == []
    history = await kinds(backend, cr.id)
    assert history[-2:] == ["apply_window_missed", "expired"]
    missed = await records(backend, "apply_window_missed")
    assert missed[-1]["data"]["notify"] == "req"


async def test_a_missed_schedule_returns_to_draft_when_the_workflow_says_so(world: World):
    world.use_policy(SCENARIO_POLICY.replace("on_timeout: expire", "on_timeout: draft"))
    world.engine = world.new_engine()
    when = world.clock.now() + timedelta(hours=1)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.clock.set(when + timedelta(minutes=16))
    with pytest.raises(NothingToWithdraw):  # arriving late, it finds the window missed
        await world.engine.withdraw_approval(cr.id, "n2")
    cr = await world.get(cr.id)
    assert cr.state is State.DRAFT and cr.apply_at is None and world.executor.applies == []


async def test_nobody_applies_a_change_whose_schedule_passed_beyond_grace(world: World):
    when = world.clock.now() + timedelta(minutes=5)
    cr = await world.propose("high", scheduled_for=when)
    await approve_seen(world.engine, cr.id, "n1")
    world.clock.set(when + timedelta(hours=2))
    world.clock.advance(minutes=-1)
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    # approved too late: the requester must reschedule
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED and cr.apply_at is None
    with pytest.raises(ScheduleMissed, match="new schedule"):
        await world.engine.apply(cr.id, "req")
    assert world.executor.applies == []


# 5. Who produces the dry-run -----------------------------------------------------------------

async def test_a_typed_dry_run_is_refused_for_an_executor_bound_family(
    world: World, backend: Backend
):
    bound(world, DEVICE)
    content = Content("bgp", "update", "edge-1", Risk.HIGH, "DESTROY-ALL-BGP")
    with pytest.raises(DryRunNotAccepted, match="produced by its executor"):
        await world.engine.propose("req", content, Metadata("t"), dry_run_output="+ harmless",
                                   submit=True)
    assert await records(backend, "proposed") == []
    cr = await world.engine.propose("req", content, Metadata("t"), submit=True)
    with pytest.raises(DryRunNotAccepted):
        await world.engine.record_dry_run(cr.id, "req", "+ harmless")
    cr = await world.engine.run_dry_run(cr.id, "req")
    assert cr.dry_run is not None and cr.dry_run.source.value == "executor"
    recorded = await records(backend, "dry_run_recorded")
    assert recorded[-1]["data"]["source"] == "executor"


async def test_a_workflow_may_accept_reported_dry_runs(world: World):
    bound(world, DEVICE, high=" dry_run: reported,")
    cr = await world.propose("high", dry_run=False)
    cr = await world.engine.record_dry_run(cr.id, "req", "+ from the pipeline")
    assert cr.dry_run is not None and cr.dry_run.source.value == "reported"
    with pytest.raises(DryRunNotAccepted, match="reported by its pipeline"):
        await world.engine.run_dry_run(cr.id, "req")
    cr = await approve_seen(world.engine, cr.id, "n1")
    assert len(cr.live_responses()) == 1


# 7. A stage-less, self-applying workflow needs its dry-run before submit ----------------------

async def test_an_auto_applied_change_is_not_submitted_without_its_dry_run(
    world: World, backend: Backend
):
    world.use_policy(SCENARIO_POLICY.replace(
        "{name: low, priority: 40, match: {risk: low}, stages: []}",
        "{name: low, priority: 40, match: {risk: low}, stages: [], apply: auto}"))
    world.engine = world.new_engine()
    with pytest.raises(NoDryRun, match="applies by itself"):
        await world.propose("low", dry_run=False)
    assert await records(backend, "proposed") == []
    cr = await world.propose("low")
    assert cr.state is State.APPROVED and cr.apply_at == world.clock.now()  # due for its timer
    cr = await world.engine.fire_deadline(cr.id)
    assert cr.state is State.APPLIED and len(world.executor.applies) == 1


async def test_the_core_refuses_a_schedule_outside_the_supported_years(world: World):
    far = datetime(2000, 1, 1, tzinfo=UTC) - timedelta(seconds=1)
    with pytest.raises(InvalidInput, match="scheduled_for"):
        await world.propose("low", scheduled_for=far)
