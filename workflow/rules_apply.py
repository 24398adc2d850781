"""Apply rules: one gate for every path, the approved digest only, exactly one start."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.commands import RecordApplyOutcome, RequestAbort, ResolveUnknown
from workflow.errors import (
    AbortNotPossible,
    DigestNotApproved,
    InvalidInput,
    NotPermitted,
    ResultNotExpected,
    ScheduleMissed,
    WrongState,
)
from workflow.events import EventKind
from workflow.model import SYSTEM_ACTOR, ApplyAttempt, ApplyStatus, ChangeRequest, State
from workflow.outcome import Decision, describe_state, event, require_state
from workflow.progress import fully_approved
from workflow.rules_dry_run import check_revision, usable_dry_run
from workflow.timing import schedule_missed

OUTCOME_STATES = {
    ApplyStatus.APPLIED: (State.APPLIED, EventKind.APPLIED),
    ApplyStatus.FAILED: (State.FAILED, EventKind.FAILED),
    ApplyStatus.UNKNOWN: (State.APPLY_UNKNOWN, EventKind.APPLY_UNKNOWN),
}


def check_operator(cr: ChangeRequest, actor: str, actor_groups: frozenset[str], doing: str) -> None:
    """Apply and resolve belong to the system, the authors and the workflow's approver groups."""
    if actor == SYSTEM_ACTOR or actor in cr.authors:
        return
    if cr.workflow is not None and actor_groups & cr.workflow.groups:
        return
    raise NotPermitted(f"only the requester, an author or an approver of {cr.id} can {doing}")


def start_apply(
    cr: ChangeRequest, actor: str, actor_groups: frozenset[str], now: datetime,
    revision: int | None = None,
) -> Decision:
    """Start the apply of a fully approved change on a fresh dry-run whose digest was approved,
    of the revision the person asking saw when they name it."""
    check_revision(cr, revision, "asked to apply")
    if cr.state is State.SCHEDULED and actor != SYSTEM_ACTOR:
        raise WrongState(f"cannot apply now: {cr.id} applies by itself at its scheduled time")
    require_state(cr, [State.APPROVED, State.SCHEDULED], "apply")
    check_operator(cr, actor, actor_groups, "apply it")
    assert cr.workflow is not None
    if not fully_approved(cr):
        raise WrongState(f"cannot apply: {cr.id} no longer has every approval it needs")
    refuse_missed_schedule(cr, now)
    dry_run = usable_dry_run(cr, now, "apply")
    unapproved = sorted(r.person for r in cr.live_responses() if r.digest != dry_run.digest)
    if unapproved:
        raise DigestNotApproved(f"digest {dry_run.digest[:12]} of {cr.id} was not approved")
    attempt = ApplyAttempt(cr.apply_key(), cr.revision, dry_run.digest, actor, now)
    after = replace(cr, state=State.EXECUTING, apply=attempt, apply_at=None)
    return Decision(after, (event(after, EventKind.APPLY_STARTED, actor, now, key=attempt.key),))


def refuse_missed_schedule(cr: ChangeRequest, now: datetime) -> None:
    """A change whose schedule passed beyond its grace is never applied late, by anyone."""
    if schedule_missed(cr, now):
        assert cr.content.scheduled_for is not None
        raise ScheduleMissed(
            f"cannot apply: {cr.id} was scheduled for {cr.content.scheduled_for:%Y-%m-%d %H:%M} "
            "UTC and its late-apply grace has passed: edit it with a new schedule"
        )


def record_outcome(cr: ChangeRequest, cmd: RecordApplyOutcome, now: datetime) -> Decision:
    """The executor's report ends the running apply; an unknown outcome waits for a person.
    An outcome reported from outside counts only for an apply that an outside pipeline runs."""
    if cmd.reported:
        check_report(cr, cmd)
    require_state(cr, [State.EXECUTING], "record an apply outcome")
    check_operator(cr, cmd.actor, cmd.actor_groups, "report its apply outcome")
    assert cr.apply is not None
    if cmd.key != cr.apply.key and not (cmd.reported and cmd.key is None):
        raise InvalidInput("key", f"{cmd.key} is not the running apply of {cr.id} ({cr.apply.key})")
    state, kind = OUTCOME_STATES[cmd.status]
    aborted = cr.apply.abort_requested_by is not None and cmd.status is ApplyStatus.FAILED
    attempt = replace(cr.apply, status=cmd.status, output=cmd.output, finished_at=now,
                      aborted=aborted)
    after = replace(cr, state=state, apply=attempt)
    extra = {"aborted": True} if aborted else {}
    return Decision(after, (event(after, kind, cmd.actor, now, key=attempt.key,
                                  output_chars=len(cmd.output), **extra),))


def request_abort(cr: ChangeRequest, cmd: RequestAbort, now: datetime) -> Decision:
    """An operator asks to stop the running apply; it stays executing until the executor's
    outcome is recorded, so the abort and the apply's own end settle to exactly one outcome."""
    require_state(cr, [State.EXECUTING], "abort")
    check_operator(cr, cmd.actor, cmd.actor_groups, "abort its apply")
    assert cr.apply is not None
    reason = cmd.reason.strip()
    if not reason:
        raise InvalidInput("reason", "say why the apply must be stopped")
    if cr.apply.abort_requested_by is not None:
        raise AbortNotPossible(f"{cr.apply.abort_requested_by} already asked to abort the apply "
                               f"of {cr.id}: its outcome is awaited")
    if cmd.cannot_abort is not None:
        raise AbortNotPossible(f"cannot abort the apply of {cr.id}: {cmd.cannot_abort}")
    attempt = replace(cr.apply, abort_requested_by=cmd.actor, abort_reason=reason)
    after = replace(cr, apply=attempt)
    return Decision(after, (event(after, EventKind.ABORT_REQUESTED, cmd.actor, now,
                                  key=attempt.key, reason=reason),))


def check_report(cr: ChangeRequest, cmd: RecordApplyOutcome) -> None:
    """Refuse an outcome reported from outside unless an outside pipeline runs this very apply:
    a report must never overrule ChangeGate's own executor."""
    check_operator(cr, cmd.actor, cmd.actor_groups, "report its apply outcome")
    if cr.state is not State.EXECUTING or cr.apply is None:
        raise ResultNotExpected(f"no apply of {cr.id} is running: {describe_state(cr)}")
    if cr.workflow is not None and cr.workflow.runs_own_executor:
        raise ResultNotExpected(
            f"{cr.id} is applied by ChangeGate's executor {cr.workflow.executor}, which records "
            "the outcome itself: outcomes are reported only for external executors"
        )
    if cmd.key is not None and cmd.key != cr.apply.key:
        raise ResultNotExpected(
            f"{cmd.key} is not the running apply of {cr.id} (expected {cr.apply.key})"
        )


def resolve_unknown(cr: ChangeRequest, cmd: ResolveUnknown, now: datetime) -> Decision:
    """A person states whether an apply of unknown outcome happened; it is never retried blindly."""
    require_state(cr, [State.APPLY_UNKNOWN], "resolve the apply")
    check_operator(cr, cmd.actor, cmd.actor_groups, "resolve its apply")
    if cmd.status is ApplyStatus.UNKNOWN:
        raise InvalidInput("status", "must be applied or failed")
    note = cmd.note.strip()
    if not note:
        raise InvalidInput("note", "say how you know the outcome")
    assert cr.apply is not None
    state, kind = OUTCOME_STATES[cmd.status]
    attempt = replace(cr.apply, status=cmd.status, resolved_by=cmd.actor, finished_at=now)
    after = replace(cr, state=state, apply=attempt)
    return Decision(after, (
        event(after, EventKind.RESOLVED, cmd.actor, now, status=cmd.status.value, note=note),
        event(after, kind, cmd.actor, now, key=attempt.key, resolved=True),
    ))
