"""Lifecycle rules: create, edit, dry-run, submit, withdraw the request, deadlines."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

from workflow.audit_facts import content_facts
from workflow.commands import Create, Edit, FireDeadline, RecordDryRun, Submit, WithdrawRequest
from workflow.digest import normalise_output, output_digest
from workflow.errors import (
    DryRunNotAccepted,
    InvalidInput,
    NoDryRun,
    NothingChanged,
    NotPermitted,
    NotRequester,
    WrongState,
)
from workflow.events import Event, EventKind
from workflow.model import (
    BEFORE_EXECUTING,
    REVISABLE_TERMINAL_STATES,
    SYSTEM_ACTOR,
    ApplyMode,
    ChangeRequest,
    Content,
    DryRun,
    DryRunSource,
    Metadata,
    Revision,
    State,
    WorkflowSnapshot,
)
from workflow.outcome import Decision, event, require_state
from workflow.progress import active_stage
from workflow.rules_apply import start_apply
from workflow.rules_dry_run import (
    ask_executor,
    check_revision,
    report_output,
    source_refusal,
)
from workflow.rules_metadata import edit_metadata
from workflow.rules_post_review import remind_post_review
from workflow.time_range import TIME_RANGE, within_range
from workflow.timing import (
    after_approval_change,
    disarmed,
    invalidate_approvals,
    remind,
    review_armed,
)

REQUIRED_CONTENT = ("family", "action", "target", "payload")


def validate_content(content: Content) -> None:
    """Name the first missing or malformed content field."""
    for name in REQUIRED_CONTENT:
        if not str(getattr(content, name)).strip():
            raise InvalidInput(name, "is required")
    when = content.scheduled_for
    if when is not None and when.utcoffset() is None:
        raise InvalidInput("scheduled_for", "needs a time zone, e.g. 2026-12-01T22:00:00Z")
    if when is not None and within_range(when) is None:
        raise InvalidInput("scheduled_for", f"must be {TIME_RANGE}")


def validate_metadata(metadata: Metadata) -> None:
    """A change needs a title people can recognise it by."""
    if not metadata.title.strip():
        raise InvalidInput("title", "is required")


def create(cmd: Create, now: datetime) -> Decision:
    """A new change request starts as a draft with revision 1."""
    validate_content(cmd.content)
    validate_metadata(cmd.metadata)
    cr = ChangeRequest(
        id=cmd.change_id,
        requester=cmd.actor,
        metadata=cmd.metadata,
        revisions=(Revision(1, cmd.content, cmd.actor, now),),
        created_at=now,
        idempotency_key=cmd.idempotency_key,
        request_hash=cmd.request_hash,
    )
    copied: dict[str, object] = {} if cmd.copied_from is None else {
        "copied_from": cmd.copied_from[0], "copied_revision": cmd.copied_from[1]}
    return Decision(cr, (event(cr, EventKind.PROPOSED, cmd.actor, now, title=cmd.metadata.title,
                               **content_facts(cmd.content, cmd.metadata), **copied),))


def edit(cr: ChangeRequest, cmd: Edit, now: datetime) -> Decision:
    """Content changes make a new revision and a fresh draft cycle; metadata changes do not,
    but may reset the approvals (rules_metadata)."""
    require_state(cr, BEFORE_EXECUTING | REVISABLE_TERMINAL_STATES, "edit")
    check_revision(cr, cmd.revision, "edited")
    events: list[Event] = []
    after = cr
    revised = cmd.content is not None and cmd.content != cr.content
    if cmd.metadata is not None and cmd.metadata != cr.metadata:
        validate_metadata(cmd.metadata)
        edited = edit_metadata(after, cmd.metadata, cmd.actor, now, revised=revised)
        after, events = edited.change, list(edited.events)
    if cmd.content is not None and revised:
        validate_content(cmd.content)
        after = _new_revision(after, cmd.content, cmd.actor, now)
        events.append(event(after, EventKind.REVISED, cmd.actor, now, from_state=cr.state.value,
                            fields=_changed(cr.content, cmd.content),
                            **content_facts(cmd.content, after.metadata)))
    if not events:
        raise NothingChanged(f"the edit changes nothing in {cr.id}")
    return Decision(after, tuple(events))


def _changed(before: Content, after: Content) -> list[str]:
    """Names of the fields that differ."""
    return [f.name for f in fields(before) if getattr(before, f.name) != getattr(after, f.name)]


def _new_revision(cr: ChangeRequest, content: Content, author: str, now: datetime) -> ChangeRequest:
    """Start a new cycle: draft, no dry-run, no workflow, no timers; history stays."""
    revision = Revision(cr.revision + 1, content, author, now)
    return disarmed(
        cr, revisions=(*cr.revisions, revision), state=State.DRAFT, dry_run=None, workflow=None,
        submitted_at=None, reminders_sent=0, approved_at=None, reminded_stages=(),
    )


def record_dry_run(cr: ChangeRequest, cmd: RecordDryRun, now: datetime) -> Decision:
    """A new digest invalidates the revision's approvals; the same digest restarts the clock."""
    require_state(cr, BEFORE_EXECUTING, "record a dry-run")
    if not cmd.from_executor and cmd.actor not in cr.authors | {SYSTEM_ACTOR}:
        raise NotPermitted(
            f"only the requester or an author of {cr.id} can report its dry-run output; "
            "re-run the dry-run through its executor instead"
        )
    if cmd.revision is not None and cmd.revision != cr.revision:
        raise WrongState(
            f"this dry-run is for revision {cmd.revision} but {cr.id} is at revision {cr.revision}"
        )
    source = DryRunSource.EXECUTOR if cmd.from_executor else DryRunSource.REPORTED
    refusal = source_refusal(cr, cr.workflow.dry_run if cr.workflow else cmd.accepts, source,
                             proposing=cmd.proposing)
    if refusal is not None:
        raise DryRunNotAccepted(refusal)
    digest = output_digest(cmd.output)
    previous = cr.dry_run
    same = previous is not None and previous.digest == digest
    outputs = 1 if previous is None else previous.outputs + (0 if same else 1)
    dry_run = DryRun(cr.revision, normalise_output(cmd.output), digest, now, cmd.actor, source,
                     outputs)
    after = replace(cr, dry_run=dry_run)
    events = [event(after, EventKind.DRY_RUN_RECORDED, cmd.actor, now, same_digest=same,
                    previous_digest=previous.digest if previous else None,
                    source=source.value)]
    if same:
        return Decision(after, tuple(events))
    return invalidate_approvals(after, cmd.actor, now, events, reason="dry-run digest changed",
                                previous_digest=previous.digest if previous else None)


def submit(cr: ChangeRequest, cmd: Submit, now: datetime) -> Decision:
    """Snapshot the workflow; with no stages approve at once as the system."""
    require_state(cr, [State.DRAFT], "submit")
    if cmd.actor not in cr.authors:
        raise NotRequester(f"only the requester or an author of {cr.id} can submit it")
    if applies_unreviewed(cmd.workflow, cr.content):
        refusal = None if cr.dry_run is None else source_refusal(
            cr, cmd.workflow.dry_run, cr.dry_run.source, proposing=cmd.proposing)
        if cr.dry_run is None and cmd.proposing:
            raise NoDryRun(_proposed_without_dry_run(cmd.workflow))
        if cr.dry_run is None or refusal is not None:
            raise NoDryRun(
                f"{cr.id} needs no approval under workflow {cmd.workflow.name} and applies by "
                f"itself once submitted: {refusal or _get_dry_run(cr.id, cmd.workflow)}, "
                "then submit"
            )
    after = review_armed(cr, cmd.workflow.timing, now, workflow=cmd.workflow,
                         state=State.PENDING_REVIEW, submitted_at=now, reminders_sent=0,
                         reminded_stages=())
    events = [event(after, EventKind.SUBMITTED, cmd.actor, now, workflow=cmd.workflow.name,
                    stages=len(cmd.workflow.stages))]
    if cmd.workflow.stages:
        return Decision(after, tuple(events))
    return after_approval_change(after, now, events, reason="no approval required")


def _executor_runs_dry_run(workflow: WorkflowSnapshot) -> bool:
    """Whether the change's own executor produces the dry-run its workflow accepts."""
    return workflow.runs_own_executor and workflow.dry_run.allows(DryRunSource.EXECUTOR)


def _get_dry_run(change_id: str, workflow: WorkflowSnapshot) -> str:
    """How an existing draft gets the dry-run its workflow accepts."""
    if _executor_runs_dry_run(workflow):
        return f"run its dry-run first ({ask_executor(change_id)})"
    return f"record its dry-run first ({report_output(change_id)})"


def _proposed_without_dry_run(workflow: WorkflowSnapshot) -> str:
    """A proposal submitted at once without the dry-run it needs is refused whole: the change
    is never created, so this names no id and says how to propose it instead."""
    if _executor_runs_dry_run(workflow):
        fix = ("propose it as a draft (submit: false), run its executor's dry-run (POST "
               "/changes/{id}/dry-run with no output), then submit it; `changegate submit` "
               "does all three")
    else:
        fix = ("propose it with its dry-run output (`changegate submit --dry-run-file "
               "out.txt`, or dry_run in POST /changes)")
    return (f"nothing was proposed: this change needs no approval under workflow "
            f"{workflow.name} and applies by itself once submitted, so it needs its dry-run "
            f"first: {fix}")


def applies_unreviewed(workflow: WorkflowSnapshot, content: Content) -> bool:
    """A workflow with no stages whose apply starts by itself (auto, or at a schedule): nothing
    but its dry-run stands between submit and apply."""
    by_itself = workflow.apply_mode is ApplyMode.AUTO or content.scheduled_for is not None
    return not workflow.stages and by_itself


def withdraw_request(cr: ChangeRequest, cmd: WithdrawRequest, now: datetime) -> Decision:
    """Only the requester cancels, and only before the apply starts."""
    require_state(cr, BEFORE_EXECUTING, "withdraw the request")
    if cmd.actor != cr.requester:
        raise NotRequester(
            f"only the requester ({cr.requester}) can withdraw {cr.id}; "
            "to take back your own approval, withdraw your approval instead"
        )
    after = disarmed(cr, state=State.CANCELLED)
    return Decision(after, (event(after, EventKind.CANCELLED, cmd.actor, now),))


def fire_deadline(cr: ChangeRequest, cmd: FireDeadline, now: datetime) -> Decision:
    """Re-check the reminder and the apply against now (a timeout was caught up before any
    command), so early, late and repeated firings are harmless."""
    if cr.state is State.PENDING_REVIEW:
        stage = active_stage(cr)
        if cr.remind_at is not None and now >= cr.remind_at and stage is not None:
            return remind(cr, now, stage)
    if cr.state in (State.APPROVED, State.SCHEDULED) and cr.apply_at and now >= cr.apply_at:
        return start_apply(cr, SYSTEM_ACTOR, frozenset(), now)
    return remind_post_review(cr, now)
