"""Copy as new: a change that ended without being applied is started again as a new draft.

The rule: only a change that is over without having been applied is copied: `failed` (its apply
ended in failure), `cancelled` (withdrawn), `rejected` or `expired`. A change still in flight
(a draft, in review, approved, scheduled, being applied) is edited or withdrawn instead; an
`applied` one is not copied, so a change that was done is never run again by one click; one whose
apply outcome is unknown is settled first. The copy is a new change (a new id, revision 1, a
draft) whose requester is whoever copied it: it carries the content of the source's current
revision and its title, description, ticket and labels, never its dry-run, approvals or
history; its `proposed` audit event names the change and revision it was copied from.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.errors import WrongState
from workflow.model import ChangeRequest, Content, State
from workflow.outcome import describe_state

COPYABLE = frozenset({State.FAILED, State.CANCELLED, State.REJECTED, State.EXPIRED})

_INSTEAD = {
    State.DRAFT: "edit it instead, or withdraw it first",
    State.PENDING_REVIEW: "edit it instead, or withdraw it first",
    State.APPROVED: "apply it, edit it, or withdraw it first",
    State.SCHEDULED: "edit it, or withdraw it first",
    State.EXECUTING: "wait for the outcome of its apply",
    State.APPLIED: "propose a new change for anything more",
    State.APPLY_UNKNOWN: "mark it applied or failed first",
}


def copy_refusal(cr: ChangeRequest) -> WrongState | None:
    """Why the change cannot be copied as new, or None when it can."""
    if cr.state in COPYABLE:
        return None
    return WrongState(
        f"cannot copy: {describe_state(cr)}. Only a change that ended without being applied "
        f"(failed, withdrawn, rejected or expired) is copied as new; {_INSTEAD[cr.state]}")


def copied_content(cr: ChangeRequest, now: datetime) -> Content:
    """The content of the copy: the source's current revision, without a schedule that has
    passed (a copy never applies at once for a time that is gone)."""
    content = cr.content
    if content.scheduled_for is not None and content.scheduled_for <= now:
        return replace(content, scheduled_for=None)
    return content
