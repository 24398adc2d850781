"""Rules of the post-implementation review: only the requester, only once the apply has ended;
where the workflow requires one, the requester is reminded until it is recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.commands import RecordPostReview
from workflow.errors import InvalidInput, NotRequester
from workflow.events import EventKind
from workflow.model import SYSTEM_ACTOR, ChangeRequest, State
from workflow.outcome import Decision, event, require_state
from workflow.post_review import PostReview

REVIEWABLE = (State.APPLIED, State.FAILED)
LINKS_MAX = 10
LINK_MAX = 500


def record_post_review(cr: ChangeRequest, cmd: RecordPostReview, now: datetime) -> Decision:
    """Record (or replace) the requester's review of how the change went."""
    require_state(cr, REVIEWABLE, "record a post-implementation review before the apply ended")
    if cmd.actor != cr.requester:
        raise NotRequester(f"only the requester ({cr.requester}) records how {cr.id} went")
    note = cmd.note.strip()
    if not note:
        raise InvalidInput("note", "say what happened, for the change advisory board")
    _check_links(cmd.links)
    review = PostReview(cmd.outcome, note, tuple(cmd.links), cmd.actor, now)
    after = replace(cr, post_review=review, remind_at=None)
    return Decision(after, (event(after, EventKind.POST_REVIEWED, cmd.actor, now,
                                  outcome=review.outcome.value, note=note,
                                  links=list(review.links),
                                  replaced=cr.post_review is not None),))


def _check_links(links: tuple[str, ...]) -> None:
    """Links are evidence people click: a few http(s) addresses, nothing else."""
    if len(links) > LINKS_MAX:
        raise InvalidInput("links", f"give at most {LINKS_MAX} links, not {len(links)}")
    for i, link in enumerate(links):
        if not link.startswith(("https://", "http://")) or len(link) > LINK_MAX or any(
                c.isspace() for c in link):
            raise InvalidInput(f"links[{i}]", f"must be an http(s) address of at most "
                                              f"{LINK_MAX} characters without spaces")


def needs_review(cr: ChangeRequest) -> bool:
    """The workflow requires a post-implementation review and the requester owes one."""
    return (cr.state in REVIEWABLE and cr.post_review is None and cr.workflow is not None
            and cr.workflow.timing.post_review_due is not None)


def arm_reminder(before: ChangeRequest, decision: Decision, now: datetime) -> Decision:
    """An apply that just ended under a workflow requiring a review sets its reminder."""
    cr = decision.change
    if before.state in REVIEWABLE or not needs_review(cr):
        return decision
    assert cr.workflow is not None and cr.workflow.timing.post_review_due is not None
    due = replace(cr, remind_at=now + cr.workflow.timing.post_review_due)
    return Decision(due, decision.events, decision.refusal)


def remind_post_review(cr: ChangeRequest, now: datetime) -> Decision:
    """The review is due: tell the requester, and again each due interval until it is done."""
    if not needs_review(cr) or cr.remind_at is None or now < cr.remind_at:
        return Decision(cr, ())
    assert cr.workflow is not None and cr.workflow.timing.post_review_due is not None
    after = replace(cr, remind_at=now + cr.workflow.timing.post_review_due)
    return Decision(after, (event(after, EventKind.POST_REVIEW_DUE, SYSTEM_ACTOR, now,
                                  notify=cr.requester, state=cr.state.value),))
