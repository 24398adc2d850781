"""What the thread and the requester are told of post-implementation reviews."""

from __future__ import annotations

from bot.slack.outbound.notices import requester_text, thread_text
from tests.support.cards import sample_changes
from workflow.events import EventKind
from workflow.model import SYSTEM_ACTOR
from workflow.outcome import event


def test_a_due_review_is_a_dm_to_the_requester_and_a_recorded_one_is_in_the_thread() -> None:
    cr = sample_changes()["applied"]
    due = event(cr, EventKind.POST_REVIEW_DUE, SYSTEM_ACTOR, cr.created_at, notify=cr.requester)
    done = event(cr, EventKind.POST_REVIEWED, cr.requester, cr.created_at,
                 outcome="rolled_back", note="BGP <flapped>")

    dm = requester_text(due, cr)
    assert dm is not None and "Post-implementation review due" in dm
    assert requester_text(done, cr) is None  # the requester did it themselves
    assert thread_text(done) == (f":clipboard: <@{cr.requester}> reviewed how it went: "
                                 "*rolled_back*\n> BGP &lt;flapped&gt;")
