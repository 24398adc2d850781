"""Rule of the post-implementation review: only the requester, only once the apply has ended."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.commands import RecordPostReview
from workflow.decision import Decision, event, require_state
from workflow.errors import InvalidInput, NotRequester
from workflow.events import EventKind
from workflow.model import ChangeRequest, State
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
    after = replace(cr, post_review=review)
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
