"""Apply rules: one gate for every path, the approved digest only, exactly one start."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.commands import RecordApplyOutcome, ResolveUnknown
from workflow.decision import Decision, event, require_state
from workflow.durations import format_duration
from workflow.errors import (
    DigestNotApproved,
    DryRunStale,
    InvalidInput,
    NoDryRun,
    NotPermitted,
    WrongState,
)
from workflow.events import EventKind
from workflow.model import SYSTEM_ACTOR, ApplyAttempt, ApplyStatus, ChangeRequest, State
from workflow.progress import fully_approved

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
    cr: ChangeRequest, actor: str, actor_groups: frozenset[str], now: datetime
) -> Decision:
    """Start the apply of a fully approved change on a fresh dry-run whose digest was approved."""
    if cr.state is State.SCHEDULED and actor != SYSTEM_ACTOR:
        raise WrongState(f"cannot apply now: {cr.id} applies by itself at its scheduled time")
    require_state(cr, [State.APPROVED, State.SCHEDULED], "apply")
    check_operator(cr, actor, actor_groups, "apply it")
    assert cr.workflow is not None
    if not fully_approved(cr):
        raise WrongState(f"cannot apply: {cr.id} no longer has every approval it needs")
    dry_run = cr.dry_run
    if dry_run is None:
        raise NoDryRun(f"run a dry-run of revision {cr.revision} of {cr.id} before applying")
    ttl = cr.workflow.timing.dry_run_ttl
    if not dry_run.is_fresh(now, ttl):
        raise DryRunStale(
            f"dry-run is {format_duration(dry_run.age(now))} old (limit {format_duration(ttl)}): "
            "it is re-run before the apply"
        )
    unapproved = sorted(r.person for r in cr.live_responses() if r.digest != dry_run.digest)
    if unapproved:
        raise DigestNotApproved(f"digest {dry_run.digest[:12]} of {cr.id} was not approved")
    attempt = ApplyAttempt(cr.apply_key(), cr.revision, dry_run.digest, actor, now)
    after = replace(cr, state=State.EXECUTING, apply=attempt, apply_at=None)
    return Decision(after, (event(after, EventKind.APPLY_STARTED, actor, now, key=attempt.key),))


def record_outcome(cr: ChangeRequest, cmd: RecordApplyOutcome, now: datetime) -> Decision:
    """The executor's report ends the running apply; an unknown outcome waits for a person."""
    require_state(cr, [State.EXECUTING], "record an apply outcome")
    check_operator(cr, cmd.actor, cmd.actor_groups, "report its apply outcome")
    assert cr.apply is not None
    if cmd.key != cr.apply.key:
        raise InvalidInput("key", f"{cmd.key} is not the running apply of {cr.id} ({cr.apply.key})")
    state, kind = OUTCOME_STATES[cmd.status]
    attempt = replace(cr.apply, status=cmd.status, output=cmd.output, finished_at=now)
    after = replace(cr, state=state, apply=attempt)
    return Decision(after, (event(after, kind, cmd.actor, now, key=attempt.key,
                                  output_chars=len(cmd.output)),))


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
