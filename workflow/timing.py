"""Transitions driven by time and completeness: approval, schedule, reopened review, deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from workflow.audit_facts import approvers
from workflow.escalation import eligible_groups, is_escalated
from workflow.events import Event, EventKind
from workflow.model import SYSTEM_ACTOR, ApplyMode, ChangeRequest, OnTimeout, State, Timing
from workflow.outcome import Decision, event


def review_armed(cr: ChangeRequest, timing: Timing, now: datetime, **changes: Any
                 ) -> ChangeRequest:
    """A review starting now: its approval timeout and its first reminder counted from now."""
    return replace(cr, expires_at=now + timing.approval_timeout,
                   remind_at=now + timing.reminder_after if timing.reminder_after else None,
                   **changes)


def disarmed(cr: ChangeRequest, **changes: Any) -> ChangeRequest:
    """No deadline left: no approval timeout, no reminder, no apply waiting."""
    return replace(cr, expires_at=None, remind_at=None, apply_at=None, **changes)


def after_approval_change(
    cr: ChangeRequest, now: datetime, events: list[Event], reason: str = "every stage approved"
) -> Decision:
    """Every stage is met: approve, then schedule, apply at once (auto or late within grace), or ask
    the requester to reschedule when the schedule passed beyond the grace."""
    assert cr.workflow is not None
    approved = disarmed(cr, state=State.APPROVED, approved_at=now)
    events.append(event(approved, EventKind.APPROVED, SYSTEM_ACTOR, now,
                        workflow=cr.workflow.name, reason=reason, stages=approvers(cr)))
    when = cr.content.scheduled_for
    if when is not None and now < when:
        scheduled = replace(approved, state=State.SCHEDULED, apply_at=when)
        events.append(event(scheduled, EventKind.SCHEDULED, SYSTEM_ACTOR, now,
                            scheduled_for=when.isoformat()))
        return Decision(scheduled, tuple(events))
    if when is not None and schedule_missed(cr, now):
        events.append(event(approved, EventKind.RESCHEDULE_NEEDED, SYSTEM_ACTOR, now,
                            scheduled_for=when.isoformat(), notify=cr.requester))
        return Decision(approved, tuple(events))
    if when is not None or cr.workflow.apply_mode is ApplyMode.AUTO:
        due = replace(approved, apply_at=now)
        reason = "late within grace" if when is not None else "auto apply"
        events.append(event(due, EventKind.APPLY_DUE, SYSTEM_ACTOR, now, reason=reason))
        return Decision(due, tuple(events))
    return Decision(approved, tuple(events))


def schedule_missed(cr: ChangeRequest, now: datetime) -> bool:
    """Whether the change's schedule passed more than its late-apply grace ago."""
    when = cr.content.scheduled_for
    if when is None or cr.workflow is None:
        return False
    return now - when > cr.workflow.timing.late_apply_grace


def catch_up(cr: ChangeRequest, now: datetime) -> Decision:
    """Deadlines are rules, not only timers: whatever the command, a review past its approval
    timeout has timed out and a due apply past its schedule's grace is never started, in the
    deciding transaction, whether or not a timer has fired yet."""
    if cr.state is State.PENDING_REVIEW and cr.expires_at is not None and now >= cr.expires_at:
        return expire(cr, now)
    due = cr.state in (State.APPROVED, State.SCHEDULED) and cr.apply_at is not None
    if due and schedule_missed(cr, now):
        assert cr.content.scheduled_for is not None and cr.workflow is not None
        missed = event(cr, EventKind.APPLY_WINDOW_MISSED, SYSTEM_ACTOR, now,
                       scheduled_for=cr.content.scheduled_for.isoformat(),
                       grace_s=cr.workflow.timing.late_apply_grace.total_seconds(),
                       notify=cr.requester)
        return expire(cr, now, reason="apply window missed", before=(missed,))
    return Decision(cr, ())


def reopen_review(
    cr: ChangeRequest, actor: str, now: datetime, events: list[Event], reason: str
) -> Decision:
    """An approved or scheduled change lost an approval: back to review, schedule disarmed."""
    assert cr.workflow is not None
    after = review_armed(cr, cr.workflow.timing, now, state=State.PENDING_REVIEW,
                         approved_at=None, apply_at=None)
    events.append(event(after, EventKind.RETURNED_TO_REVIEW, actor, now, reason=reason,
                        schedule_disarmed=cr.state is State.SCHEDULED))
    return Decision(after, tuple(events))


def invalidate_approvals(
    cr: ChangeRequest, actor: str, now: datetime, events: list[Event], reason: str,
    **data: object
) -> Decision:
    """What the approvers saw changed: every counting response of the revision ends (its people
    named in `approvals_invalidated`), and an approved or scheduled change returns to review."""
    live = cr.live_responses()
    if not live:
        return Decision(cr, tuple(events))
    after = replace(cr, responses=tuple(
        r.end("invalidated", now) if r in live else r for r in cr.responses))
    events.append(event(after, EventKind.APPROVALS_INVALIDATED, actor, now,
                        people=sorted(r.person for r in live), reason=reason, **data))
    if cr.state in (State.APPROVED, State.SCHEDULED):
        return reopen_review(after, actor, now, events, reason=reason)
    return Decision(after, tuple(events))


def expire(cr: ChangeRequest, now: datetime, reason: str = "approval timeout",
           before: tuple[Event, ...] = ()) -> Decision:
    """A deadline passed (the approval timeout, or a schedule's grace): expire, or back to draft
    as the workflow's `on_timeout` says; approvals given are dropped."""
    assert cr.workflow is not None
    responses = tuple(
        r.end("expired", now) if r.live and r.revision == cr.revision else r for r in cr.responses
    )
    to_draft = cr.workflow.timing.on_timeout is OnTimeout.DRAFT
    after = disarmed(cr, responses=responses, state=State.DRAFT if to_draft else State.EXPIRED,
                     approved_at=None, submitted_at=None if to_draft else cr.submitted_at)
    kind = EventKind.RETURNED_TO_DRAFT if to_draft else EventKind.EXPIRED
    return Decision(after, (*before, event(after, kind, SYSTEM_ACTOR, now, reason=reason)))


def remind(cr: ChangeRequest, now: datetime, stage: int) -> Decision:
    """Nudge the active stage's approvers who have not responded, once per interval; the
    `escalate_after`-th reminder of a stage also opens it to the escalation group."""
    assert cr.workflow is not None and cr.workflow.timing.reminder_after is not None
    responded = sorted(r.person for r in cr.live_responses())
    was_escalated = is_escalated(cr, stage)
    after = replace(cr, remind_at=now + cr.workflow.timing.reminder_after,
                    reminders_sent=cr.reminders_sent + 1,
                    reminded_stages=(*cr.reminded_stages, stage))
    groups = sorted(eligible_groups(cr, stage))
    events = [event(after, EventKind.REMINDED, SYSTEM_ACTOR, now, stage=stage + 1,
                    groups=groups, responded=responded, reminder=after.reminders_sent,
                    stage_reminder=after.reminders_of(stage))]
    escalation = cr.workflow.escalation
    if escalation is not None and not was_escalated and is_escalated(after, stage):
        events.append(event(after, EventKind.ESCALATED, SYSTEM_ACTOR, now, stage=stage + 1,
                            name=cr.workflow.stages[stage].name, group=escalation.group,
                            reminders=escalation.after_reminders, responded=responded))
    return Decision(after, tuple(events))
