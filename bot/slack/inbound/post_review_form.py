"""The card's Record review button: the requester says how an applied or failed change went."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.inbound import payload
from bot.slack.inbound.change_form import open_change_form
from bot.slack.inbound.decided import decide_then_ack
from bot.slack.rendering import ids
from bot.slack.rendering.blocks import context, modal, select_input, text_input
from bot.slack.services import SlackServices
from workflow.model import ChangeRequest
from workflow.post_review import ReviewOutcome
from workflow.rules_post_review import LINKS_MAX, REVIEWABLE

log = logging.getLogger(__name__)
LINKS_BLOCK = "links"
NOTE_MAX = 3000
BLANK_NOTE = "Say what happened: the change advisory board reads it."
OUTCOMES = [(o.value, o.value.replace("_", " ").capitalize()) for o in ReviewOutcome]
WENT = {ReviewOutcome.SUCCESSFUL: "was successful",
        ReviewOutcome.SUCCESSFUL_WITH_ISSUES: "was successful, with issues",
        ReviewOutcome.ROLLED_BACK: "was rolled back", ReviewOutcome.FAILED: "failed"}


def post_review_modal(cr: ChangeRequest) -> dict[str, Any]:
    """Outcome, note and evidence links; a new review replaces the last one."""
    blocks = [
        context(f"How did *{cr.id}* go? A new review replaces the last; the history keeps both."),
        select_input(ids.OUTCOME_BLOCK, "Outcome", OUTCOMES,
                     initial=cr.post_review.outcome.value if cr.post_review else None),
        text_input(ids.NOTE_BLOCK, "What happened", multiline=True, max_length=NOTE_MAX),
        text_input(LINKS_BLOCK, "Links (one per line)", multiline=True, optional=True,
                   hint=f"Up to {LINKS_MAX} http(s) addresses: incident, dashboard, ticket."),
    ]
    return modal(f"Review {cr.id}", blocks, callback_id=ids.POST_REVIEW_VIEW, submit="Record",
                 close="Cancel", private_metadata=json.dumps({"change": cr.id}))


def register(app: AsyncApp, services: SlackServices) -> None:
    """The button and its form."""

    @app.action(ids.POST_REVIEW)
    async def open_form(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await open_change_form(services, body, respond, _not_reviewable_by, post_review_modal)

    @app.view(ids.POST_REVIEW_VIEW)
    async def recorded(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        outcome = payload.chosen(view, ids.OUTCOME_BLOCK)
        note = payload.typed(view, ids.NOTE_BLOCK)
        errors = {}
        if outcome not in {o.value for o in ReviewOutcome}:
            errors[ids.OUTCOME_BLOCK] = "Choose how it went."
        if not note:
            errors[ids.NOTE_BLOCK] = BLANK_NOTE
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        change_id = str(payload.metadata(view).get("change", ""))
        links = tuple(line.strip() for line in payload.typed(view, LINKS_BLOCK).splitlines()
                      if line.strip())
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.post_review(change_id, user, ReviewOutcome(outcome), note, links,
                                        gesture=gesture)),
            recorded_text(change_id, ReviewOutcome(outcome)),
            fields={"links": LINKS_BLOCK, "note": ids.NOTE_BLOCK})


def recorded_text(change_id: str, outcome: ReviewOutcome) -> str:
    """What the form says once the review is recorded: `CHG-4 was rolled back`."""
    return f"Recorded: *{change_id}* {WENT[outcome]}."


def _not_reviewable_by(cr: ChangeRequest, user: str) -> str | None:
    if cr.requester != user:
        return f"only the requester ({cr.requester}) records how {cr.id} went"
    if cr.state not in REVIEWABLE:
        return f"{cr.id} is {cr.state.value}: a review follows an apply that ended"
    return None
