"""A form's decision, acknowledged once committed: the form Slack shows after Submit says what
was recorded, so an acknowledged decision is never one a stopped process still held in memory.
The card the form was opened from is named in the decision's gesture: the commit brings it to
the card (bot/slack/outbound/card_sync.py), as every other effect, not this listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.slack.inbound import payload
from bot.slack.inbound.clicked import from_form
from bot.slack.inbound.feedback import FAILED
from bot.slack.inbound.replays import ignored_form, receipt
from bot.slack.inbound.views import show_view
from bot.slack.rendering.modals import notice_modal
from bot.slack.rendering.mrkdwn import escape
from bot.slack.services import SlackServices
from workflow.errors import Replayed, WorkflowError
from workflow.gesture import Gesture
from workflow.model import ChangeRequest

log = logging.getLogger(__name__)
DECIDE_WITHIN_S = 2.0  # Slack drops a form's acknowledgement after three seconds
NOT_RECORDED = "Not recorded yet"
NOT_YET = (f":hourglass_flowing_sand: *{NOT_RECORDED}*: ChangeGate is busy. The card shows it "
           "once it is; if it does not within a minute, submit again (a second approval of the "
           "same revision changes nothing).")
Act = Callable[[str, Gesture], Awaitable[ChangeRequest]]  # as (user, the form's gesture)


async def decide_then_ack(services: SlackServices, ack: AsyncAck, body: dict[str, Any],
                          view: dict[str, Any], act: Act, done: str) -> None:
    """Run the engine call as the submitting user and acknowledge the form with its outcome
    once committed; a decision slower than Slack allows is acknowledged as not recorded yet,
    and its outcome replaces the form when it comes."""
    user = payload.actor(body)
    title = payload.title(view) or "ChangeGate"
    clicked = from_form(payload.metadata(view))
    gesture = Gesture(receipt(body), clicked.as_reply() if clicked is not None else None)
    deciding = asyncio.get_running_loop().create_task(
        _outcome(lambda: act(user, gesture), user, done, body))
    try:
        text = await asyncio.wait_for(asyncio.shield(deciding), DECIDE_WITHIN_S)
    except TimeoutError:
        await ack(response_action="update", view=notice_modal(title, NOT_YET))
        await show_view(services, view, notice_modal(title, await deciding))
    else:
        await ack(response_action="update", view=notice_modal(title, text))


async def _outcome(act: Callable[[], Awaitable[ChangeRequest]], user: str, done: str,
                   body: dict[str, Any]) -> str:
    """`done` once decided, else the refusal (or failure) to show."""
    try:
        await act()
    except WorkflowError as refusal:
        if isinstance(refusal, Replayed):
            ignored_form(body)
        return f":no_entry: {escape(refusal.message)}"
    except Exception:
        log.exception("%s by %s failed", body["view"].get("callback_id"), user)
        return f":warning: {FAILED}"
    return done
