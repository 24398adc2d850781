"""Builders of domain values for pure tests of the state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflow.commands import Approve, Create, RecordDryRun, Submit
from workflow.decide import decide
from workflow.digest import output_digest
from workflow.model import (
    ApplyMode,
    ChangeRequest,
    Content,
    Metadata,
    Requirement,
    Risk,
    Stage,
    Timing,
    WorkflowSnapshot,
)
from workflow.seen import Seen

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEEN = Seen(1, output_digest("diff v1"))  # what a reviewer of `pending()` is shown
SENIORS = "senior-network-engineers"
CAB = "change-advisory-board"


def two_stage(apply_mode: ApplyMode = ApplyMode.MANUAL, **timing: object) -> WorkflowSnapshot:
    """2 seniors, then 1 of the CAB."""
    return WorkflowSnapshot(
        name="critical",
        stages=(
            Stage("Senior review", (Requirement(SENIORS, 2),)),
            Stage("Change Advisory Board", (Requirement(CAB, 1),)),
        ),
        timing=Timing(**timing),  # type: ignore[arg-type]
        policy_version="v1",
        apply_mode=apply_mode,
    )


def one_stage(count: int = 2, **timing: object) -> WorkflowSnapshot:
    """`count` seniors in one stage."""
    return WorkflowSnapshot(
        name="high",
        stages=(Stage("Senior review", (Requirement(SENIORS, count),)),),
        timing=Timing(**timing),  # type: ignore[arg-type]
        policy_version="v1",
    )


def content(scheduled_for: datetime | None = None, payload: str = "set x") -> Content:
    return Content("bgp", "update", "edge-1", Risk.HIGH, payload, "undo x", scheduled_for)


def pending(
    workflow: WorkflowSnapshot | None = None,
    *,
    now: datetime = T0,
    scheduled_for: datetime | None = None,
    dry_run: str | None = "diff v1",
) -> ChangeRequest:
    """A change by `req`, dry-run recorded, submitted under `workflow`."""
    cr = decide(None, Create("CHG-1", "req", content(scheduled_for), Metadata("t")), now).change
    if dry_run is not None:
        cr = decide(cr, RecordDryRun("CHG-1", "req", dry_run), now).change
    return decide(cr, Submit("CHG-1", "req", workflow or one_stage()), now).change


def approved_by(cr: ChangeRequest, *people: str, now: datetime = T0,
                groups: frozenset[str] = frozenset({SENIORS})) -> ChangeRequest:
    """Approve in turn by each person, all members of `groups`."""
    for person in people:
        cr = decide(cr, Approve(cr.id, person, groups, Seen.of(cr)), now).change
    return cr


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
