"""Change requests in every state a card can show, built with the pure state machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.support.builders import (
    CAB,
    SEEN,
    SENIORS,
    T0,
    approved_by,
    one_stage,
    pending,
    two_stage,
)
from workflow.commands import (
    Approve,
    Create,
    FireDeadline,
    RecordApplyOutcome,
    RecordDryRun,
    Reject,
    StartApply,
    Submit,
    WithdrawRequest,
)
from workflow.decide import decide
from workflow.model import (
    ApplyStatus,
    ChangeRequest,
    Content,
    Metadata,
    Requirement,
    Risk,
    Stage,
    WorkflowSnapshot,
)

LATER = T0 + timedelta(minutes=5)
LONG = "x" * 5000
NASTY_OUTPUT = "\n".join(
    f"line {i}: set <policy> & ``` route-map {'A' * (i % 120)}" for i in range(2500)
)


def _outcome(cr: ChangeRequest, status: ApplyStatus, output: str = "") -> ChangeRequest:
    started = decide(cr, StartApply(cr.id, "req"), LATER).change
    assert started.apply is not None
    key = started.apply.key
    return decide(started, RecordApplyOutcome(cr.id, "system", key, status, output), LATER).change


def many_approvers() -> ChangeRequest:
    """A stage needing 40 people, 39 of whom approved."""
    workflow = WorkflowSnapshot(
        name="all-hands", stages=(Stage("Everyone", (Requirement(SENIORS, 40),)),),
        policy_version="v1",
    )
    return approved_by(pending(workflow), *[f"U{i:03d}" for i in range(39)])


def long_texts() -> ChangeRequest:
    """Every free-text field far beyond what a block can hold."""
    content = Content("bgp" * 100, "update" * 50, "edge-" * 200, Risk.CRITICAL, LONG, LONG,
                      T0 + timedelta(days=2))
    cr = decide(None, Create("CHG-9", "req", content, Metadata(LONG, LONG, LONG)), T0).change
    cr = decide(cr, RecordDryRun("CHG-9", "req", NASTY_OUTPUT), T0).change
    return decide(cr, Submit("CHG-9", "req", two_stage()), T0).change


def sample_changes() -> dict[str, ChangeRequest]:
    """Named changes covering each state and the awkward cases."""
    high = pending()
    critical = pending(two_stage())
    approved = approved_by(high, "n1", "n2", now=LATER)
    scheduled = approved_by(pending(scheduled_for=T0 + timedelta(days=1)), "n1", "n2", now=LATER)
    executing = decide(approved, StartApply(approved.id, "req"), LATER).change
    rejected = decide(approved_by(high, "n1"), Reject(high.id, "n2", frozenset({SENIORS}), SEEN,
                                                      "the rollback plan misses <edge-2>"),
                      LATER).change
    expired = decide(high, FireDeadline(high.id), T0 + timedelta(hours=73)).change
    return {
        "pending_no_dry_run": pending(dry_run=None),
        "pending_first_approval": approved_by(high, "n1"),
        "pending_stage_two": approved_by(critical, "n1", "n2"),
        "pending_two_requirements": pending(WorkflowSnapshot(
            name="core", policy_version="v1", stages=(Stage("Joint review", (
                Requirement(SENIORS, 1), Requirement(CAB, 1))),))),
        "approved": approved,
        "scheduled": scheduled,
        "executing": executing,
        "applied": _outcome(approved, ApplyStatus.APPLIED, "ok"),
        "failed": _outcome(approved, ApplyStatus.FAILED, "error: <commit> failed & rolled back"),
        "apply_unknown": _outcome(approved, ApplyStatus.UNKNOWN),
        "rejected": rejected,
        "cancelled": decide(high, WithdrawRequest(high.id, "req"), LATER).change,
        "expired": expired,
        "many_approvers": many_approvers(),
        "long_texts": long_texts(),
        "one_stage_three": approved_by(pending(one_stage(3)), "n1"),
        "approved_critical_after_approve": decide(
            approved_by(critical, "n1", "n2"), Approve(critical.id, "c1", frozenset({CAB}), SEEN),
            LATER
        ).change,
        "metadata_only": replace(high, metadata=Metadata("Plain title")),
    }
