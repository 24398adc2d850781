"""The state machine: a pure function of (change request, command, now) -> decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow import rules_apply, rules_lifecycle, rules_post_review, rules_review
from workflow.commands import (
    AddComment,
    Approve,
    Command,
    Create,
    Edit,
    FireDeadline,
    RecordApplyOutcome,
    RecordDryRun,
    RecordPostReview,
    Reject,
    RequestAbort,
    ResolveUnknown,
    StartApply,
    Submit,
    WithdrawApproval,
    WithdrawRequest,
)
from workflow.errors import ChangeNotFound, WorkflowError, WrongState
from workflow.membership import as_member
from workflow.model import ChangeRequest
from workflow.outcome import Decision
from workflow.timing import catch_up

ACTS_AS_MEMBER = (Approve, Reject, StartApply, RecordApplyOutcome, RequestAbort, ResolveUnknown)


def decide(cr: ChangeRequest | None, command: Command, now: datetime) -> Decision:
    """Apply every rule of the contract; raise a WorkflowError subclass to refuse.

    Deadlines that passed are applied first, whatever the command; a command refused after a
    deadline changed the change comes back as a decision carrying the refusal, so the timeout
    is saved and the refusal told. The change's version is bumped whenever there are events.
    """
    if isinstance(command, Create):
        if cr is not None:
            raise WrongState(f"{command.change_id} already exists")
        return rules_lifecycle.create(command, now)
    if cr is None:
        raise ChangeNotFound(f"{command.change_id} does not exist")
    if isinstance(command, ACTS_AS_MEMBER):
        command = as_member(cr, command)
    caught = catch_up(cr, now)
    try:
        decision = _dispatch(caught.change, command, now)
    except WorkflowError as refusal:
        if not caught.changed:
            raise
        decision = Decision(caught.change, (), refusal)
    decision = rules_post_review.arm_reminder(caught.change, decision, now)
    events = caught.events + decision.events
    if not events:
        return decision
    return Decision(replace(decision.change, version=cr.version + 1), events, decision.refusal)


def _dispatch(cr: ChangeRequest, command: Command, now: datetime) -> Decision:
    """Route a command on an existing change to its rule."""
    match command:
        case Edit():
            return rules_lifecycle.edit(cr, command, now)
        case RecordDryRun():
            return rules_lifecycle.record_dry_run(cr, command, now)
        case Submit():
            return rules_lifecycle.submit(cr, command, now)
        case Approve():
            return rules_review.approve(cr, command, now)
        case Reject():
            return rules_review.reject(cr, command, now)
        case AddComment():
            return rules_review.add_comment(cr, command, now)
        case WithdrawApproval():
            return rules_review.withdraw_approval(cr, command, now)
        case WithdrawRequest():
            return rules_lifecycle.withdraw_request(cr, command, now)
        case StartApply():
            return rules_apply.start_apply(cr, command.actor, command.actor_groups, now,
                                           command.revision)
        case RecordApplyOutcome():
            return rules_apply.record_outcome(cr, command, now)
        case RequestAbort():
            return rules_apply.request_abort(cr, command, now)
        case ResolveUnknown():
            return rules_apply.resolve_unknown(cr, command, now)
        case RecordPostReview():
            return rules_post_review.record_post_review(cr, command, now)
        case FireDeadline():
            return rules_lifecycle.fire_deadline(cr, command, now)
        case _:
            raise TypeError(f"unknown command {command!r}")
