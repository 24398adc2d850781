"""A form's decision, acknowledged once committed: the form Slack shows after Submit says what
was recorded, so an acknowledged decision is never one a stopped process still held in memory.
The card the form was opened from is named in the decision's gesture: the commit brings it to
the card (bot/slack/outbound/card_sync.py), as every other effect, not this listener.

A refusal never loses what was typed, as a Slack form answered with field errors keeps it: a
refusal about one field (the engine's InvalidInput naming it, or a reason code such as
comment_required) is shown under that field; any other is shown at the top of the same form,
filled in as it was submitted. A comment (or reason) typed into a decision its author may not
make (not in the stage's group, four eyes, the change moved on) is offered to be posted as a
comment instead: the form turns into the Comment form holding the text, so nothing is recorded
that the person did not ask for, and nothing they wrote is gone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.slack.inbound import payload
from bot.slack.inbound.clicked import from_form
from bot.slack.inbound.feedback import FAILED
from bot.slack.inbound.replays import ignored_form, receipt
from bot.slack.inbound.views import show_view
from bot.slack.rendering import ids
from bot.slack.rendering.modals import comment_modal, notice_modal, refilled
from bot.slack.rendering.mrkdwn import escape
from bot.slack.services import SlackServices
from workflow.errors import (
    AlreadyApprovedStage,
    InvalidInput,
    NotEligible,
    NothingToWithdraw,
    NotPermitted,
    Replayed,
    SelfApproval,
    StageNotOpen,
    WorkflowError,
    WrongState,
)
from workflow.gesture import Gesture
from workflow.model import ChangeRequest

log = logging.getLogger(__name__)
DECIDE_WITHIN_S = 2.0  # Slack drops a form's acknowledgement after three seconds
READ_WITHIN_S = 0.5  # then the change a refused comment is offered on is read, at most this long
NOT_RECORDED = "Not recorded yet"
NOT_YET = (f":hourglass_flowing_sand: *{NOT_RECORDED}*: ChangeGate is busy. The card shows it "
           "once it is; if it does not within a minute, submit again (a second approval of the "
           "same revision changes nothing).")
Act = Callable[[str, Gesture], Awaitable[ChangeRequest]]  # as (user, the form's gesture)
# An engine refusal's field (InvalidInput.field, its `[n]` index dropped) or reason code, and
# the input block of the form it is shown under.
Fields = Mapping[str, str]
# Refusals of who may decide, or of a change that moved on: submitting the form again cannot
# help, so a comment typed into it is offered to be posted as a comment.
MAY_NOT = (NotEligible, SelfApproval, AlreadyApprovedStage, StageNotOpen, NotPermitted,
           WrongState, NothingToWithdraw)
KEPT = ("Nothing was recorded. What you wrote is kept below: *Post* it to the card's thread "
        "as a comment (a comment never counts as a decision), or close the window.")


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a form's decision ended: recorded, refused (and why), or failed."""

    refusal: WorkflowError | None = None
    failed: bool = False

    @property
    def recorded(self) -> bool:
        return self.refusal is None and not self.failed


async def decide_then_ack(services: SlackServices, ack: AsyncAck, body: dict[str, Any],
                          view: dict[str, Any], act: Act, done: str, *,
                          fields: Fields | None = None, comment_block: str | None = None
                          ) -> None:
    """Run the engine call as the submitting user and acknowledge the form with its outcome
    once committed; a decision slower than Slack allows is acknowledged as not recorded yet,
    and its outcome replaces the form when it comes. A refusal keeps the form and what was
    typed: under the field `fields` maps it to, else at the top; `comment_block` names the
    field whose text is offered as a comment when its author may not decide."""
    user = payload.actor(body)
    title = payload.title(view) or "ChangeGate"
    clicked = from_form(payload.metadata(view))
    gesture = Gesture(receipt(body), clicked.as_reply() if clicked is not None else None)
    deciding = asyncio.get_running_loop().create_task(
        _outcome(lambda: act(user, gesture), user, body))
    try:
        outcome = await asyncio.wait_for(asyncio.shield(deciding), DECIDE_WITHIN_S)
    except TimeoutError:
        await ack(response_action="update", view=notice_modal(title, NOT_YET))
        outcome = await deciding
        await show_view(services, view, await _answer(services, view, outcome, done,
                                                      comment_block))
        return
    errors = field_errors(outcome.refusal, fields or {})
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack(response_action="update", view=services.seal.sealed(
        await _answer(services, view, outcome, done, comment_block)))


async def _outcome(act: Callable[[], Awaitable[ChangeRequest]], user: str,
                   body: dict[str, Any]) -> Outcome:
    """Recorded once committed, else the refusal (or failure) to show."""
    try:
        await act()
    except WorkflowError as refusal:
        if isinstance(refusal, Replayed):
            ignored_form(body)
        return Outcome(refusal)
    except Exception:
        log.exception("%s by %s failed", body["view"].get("callback_id"), user)
        return Outcome(failed=True)
    return Outcome()


def field_errors(refusal: WorkflowError | None, fields: Fields) -> dict[str, str]:
    """Slack's field errors for a refusal about one field of the form; {} for any other."""
    if refusal is None:
        return {}
    if isinstance(refusal, InvalidInput):
        name, _, index = refusal.field.partition("[")
        block = fields.get(name)
        if block is not None:
            said = refusal.message.removeprefix(f"{refusal.field}: ")
            item = index.removesuffix("]")  # links[1] is the second link given
            said = f"{name.removesuffix('s')} {int(item) + 1}: {said}" if item.isdigit() else said
            return {block: said[:1].upper() + said[1:]}
    block = fields.get(refusal.reason)
    if block is None:
        return {}
    return {block: refusal.message[:1].upper() + refusal.message[1:]}


async def _answer(services: SlackServices, view: dict[str, Any], outcome: Outcome, done: str,
                  comment_block: str | None) -> dict[str, Any]:
    """The view the form becomes: what was recorded, or the form again with what was typed."""
    title = payload.title(view) or "ChangeGate"
    if outcome.recorded:
        return notice_modal(title, done)
    refusal = outcome.refusal
    if isinstance(refusal, Replayed):  # decided already, by this very submission
        return notice_modal(title, f":no_entry: {escape(refusal.message)}")
    said = f":no_entry: {escape(refusal.message)}" if refusal else f":warning: {FAILED}"
    typed = payload.typed(view, comment_block) if comment_block else ""
    if typed and isinstance(refusal, MAY_NOT) and view.get("callback_id") != ids.COMMENT_VIEW:
        meta = payload.metadata(view)
        try:  # bounded: the form's acknowledgement may still be waiting on it
            cr = await asyncio.wait_for(services.changes.get(str(meta.get("change", ""))),
                                        READ_WITHIN_S)
        except Exception:  # the form is answered all the same, as it was typed
            log.exception("reading %s for a refused form failed", meta.get("change"))
            cr = None
        if cr is not None and not cr.is_terminal:
            return comment_modal(cr, str(meta.get("origin") or ""), text=typed,
                                 problem=f"{said}\n{KEPT}")
    return refilled(view, payload.values(view), said)
