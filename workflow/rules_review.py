"""Review rules: four eyes, eligibility by active stage, counting, reject, withdraw, comment."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.commands import AddComment, Approve, Reject, WithdrawApproval
from workflow.errors import (
    AlreadyApprovedStage,
    AlreadyResponded,
    CommentRequired,
    InvalidInput,
    NotEligible,
    NothingToWithdraw,
    SelfApproval,
    StageNotOpen,
    WrongState,
)
from workflow.escalation import eligible_groups, stands_in
from workflow.events import Event, EventKind
from workflow.model import ChangeRequest, Comment, Response, State, Verdict
from workflow.outcome import Decision, describe_state, event, require_state
from workflow.progress import active_stage, stage_progress
from workflow.rules_dry_run import check_seen, usable_dry_run
from workflow.timing import after_approval_change, disarmed, reopen_review


def check_four_eyes(cr: ChangeRequest, actor: str) -> None:
    """The requester and every revision author are barred from reviewing, owners and admins too."""
    if actor == cr.requester:
        raise SelfApproval(
            f"you requested {cr.id}; another approver must review it (four-eyes rule)"
        )
    if actor in cr.authors:
        raise SelfApproval(
            f"you authored a revision of {cr.id}; another approver must review it (four-eyes rule)"
        )


def eligible_stage(cr: ChangeRequest, actor: str, actor_groups: frozenset[str]) -> int:
    """The active stage index if the actor may respond on it; refuse with the reason otherwise."""
    assert cr.workflow is not None
    index = active_stage(cr)
    if index is None:
        raise WrongState(f"{cr.id} already has every approval it needs")
    stage = cr.workflow.stages[index]
    if actor_groups & eligible_groups(cr, index):
        return index
    for later in range(index + 1, len(cr.workflow.stages)):
        if actor_groups & cr.workflow.stages[later].groups:
            raise StageNotOpen(
                f"stage {later + 1} ({cr.workflow.stages[later].name}) of {cr.id} opens after "
                f"stage {index + 1} ({stage.name}) is approved"
            )
    groups = ", ".join(sorted(eligible_groups(cr, index)))
    raise NotEligible(
        f"you are not an approver for the active stage of {cr.id} "
        f"(stage {index + 1}, {stage.name}: members of {groups})"
    )


def approve(cr: ChangeRequest, cmd: Approve, now: datetime) -> Decision:
    """Count a fresh, eligible, first approval; advance stages; approve when all are met."""
    if cr.state in (State.APPROVED, State.SCHEDULED):
        raise WrongState(f"{cr.id} is already approved; no more approvals are needed")
    require_state(cr, [State.PENDING_REVIEW], "approve")
    check_four_eyes(cr, cmd.actor)
    check_seen(cr, cmd.seen)
    _refuse_repeat(cr, cmd.actor)
    index = eligible_stage(cr, cmd.actor, cmd.actor_groups)
    dry_run = usable_dry_run(cr, now, "approve")
    response = Response(
        person=cmd.actor,
        revision=cr.revision,
        stage=index,
        verdict=Verdict.APPROVE,
        comment=cmd.comment.strip(),
        digest=dry_run.digest,
        groups=cmd.actor_groups & eligible_groups(cr, index),
        at=now,
        stand_in=stands_in(cr, index, cmd.actor_groups),
    )
    after = replace(cr, responses=(*cr.responses, response))
    events = [
        event(after, EventKind.RESPONSE, cmd.actor, now, verdict="approve", stage=index + 1,
              comment=response.comment, groups=sorted(response.groups),
              **_stand_in(response))
    ]
    return _advance(after, cmd.actor, now, events, from_stage=index)


def _stand_in(response: Response) -> dict[str, object]:
    """Audit data marking a response given through escalation."""
    return {"stand_in": True} if response.stand_in else {}


def _refuse_repeat(cr: ChangeRequest, actor: str) -> None:
    """A repeated approve changes nothing; an approver of one stage may not approve another."""
    current = cr.live_response_of(actor)
    if current is None:
        return
    if current.stage == active_stage(cr):
        raise AlreadyResponded(f"you already approved revision {cr.revision} of {cr.id}")
    raise AlreadyApprovedStage(
        f"you approved stage {current.stage + 1} of revision {cr.revision} of {cr.id}; "
        "one person may approve only one stage (separation of duties)"
    )


def _advance(
    cr: ChangeRequest, actor: str, now: datetime, events: list[Event], from_stage: int
) -> Decision:
    """Emit stage_approved for each newly met stage and finish when the last one is met."""
    assert cr.workflow is not None
    index = active_stage(cr)
    last_met = len(cr.workflow.stages) if index is None else index
    for met in range(from_stage, last_met):
        progress = stage_progress(cr, met)
        events.append(event(cr, EventKind.STAGE_APPROVED, actor, now, stage=met + 1,
                            name=progress.stage.name, approvers=sorted(progress.approvers)))
    if index is not None:
        return Decision(cr, tuple(events))
    return after_approval_change(cr, now, events)


def reject(cr: ChangeRequest, cmd: Reject, now: datetime) -> Decision:
    """One eligible rejection with a reason rejects at once, replacing the person's approval."""
    require_state(cr, [State.PENDING_REVIEW], "reject")
    check_four_eyes(cr, cmd.actor)
    check_seen(cr, cmd.seen)
    comment = cmd.comment.strip()
    if not comment:
        raise CommentRequired("a rejection needs a reason: say what must change")
    index = eligible_stage(cr, cmd.actor, cmd.actor_groups)
    responses = tuple(
        r.end("superseded", now) if r.live and r.revision == cr.revision and r.person == cmd.actor
        else r
        for r in cr.responses
    )
    response = Response(
        person=cmd.actor,
        revision=cr.revision,
        stage=index,
        verdict=Verdict.REJECT,
        comment=comment,
        digest=cr.dry_run.digest if cr.dry_run else "",
        groups=cmd.actor_groups & eligible_groups(cr, index),
        at=now,
        stand_in=stands_in(cr, index, cmd.actor_groups),
    )
    after = disarmed(cr, responses=(*responses, response), state=State.REJECTED)
    denial = cr.workflow.stages[index].denial_message if cr.workflow else ""
    told = {"denial_message": denial} if denial else {}
    return Decision(after, (
        event(after, EventKind.RESPONSE, cmd.actor, now, verdict="reject", stage=index + 1,
              comment=comment, groups=sorted(response.groups), **_stand_in(response), **told),
        event(after, EventKind.REJECTED, cmd.actor, now, comment=comment),
    ))


def withdraw_approval(cr: ChangeRequest, cmd: WithdrawApproval, now: datetime) -> Decision:
    """An approver takes back their approval before executing; the change may reopen review."""
    require_state(
        cr, [State.DRAFT, State.PENDING_REVIEW, State.APPROVED, State.SCHEDULED],
        "withdraw an approval",
    )
    current = cr.live_response_of(cmd.actor)
    if current is None or current.verdict is not Verdict.APPROVE:
        raise NothingToWithdraw(
            f"you have no approval on revision {cr.revision} of {cr.id} to withdraw"
        )
    comment = cmd.comment.strip()
    responses = tuple(r.end("withdrawn", now, comment) if r is current else r
                      for r in cr.responses)
    after = replace(cr, responses=responses)
    events = [event(after, EventKind.WITHDRAWN, cmd.actor, now, stage=current.stage + 1,
                    comment=comment)]
    if cr.state in (State.APPROVED, State.SCHEDULED) and active_stage(after) is not None:
        return reopen_review(after, cmd.actor, now, events, reason="approval withdrawn")
    return Decision(after, tuple(events))


def add_comment(cr: ChangeRequest, cmd: AddComment, now: datetime) -> Decision:
    """Anyone may note something; it never changes counts or state."""
    if cr.is_terminal:
        raise WrongState(f"cannot comment: {describe_state(cr)}")
    text = cmd.text.strip()
    if not text:
        raise InvalidInput("text", "a comment cannot be blank")
    after = replace(cr, comments=(*cr.comments, Comment(cmd.actor, cr.revision, text, now)))
    return Decision(after, (event(after, EventKind.COMMENT, cmd.actor, now, text=text),))
