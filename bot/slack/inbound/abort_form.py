"""The card's Abort button: an operator stops a running apply, saying why."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.inbound import payload
from bot.slack.inbound.change_form import open_change_form
from bot.slack.inbound.decided import decide_then_ack
from bot.slack.rendering import ids
from bot.slack.rendering.blocks import context, modal, text_input
from bot.slack.rendering.mrkdwn import clip, escape
from bot.slack.services import SlackServices
from workflow.model import ChangeRequest, State
from workflow.outcome import describe_state

REASON_MAX = 3000
BLANK_REASON = "Say why the apply must be stopped: it goes on the card and in the thread."


def abort_modal(cr: ChangeRequest) -> dict[str, Any]:
    """Why to stop it; the outcome comes from the executor once it has stopped."""
    blocks = [
        context(f"Stop the running apply of *{cr.id}* · {escape(clip(cr.metadata.title, 200))}? "
                "Its executor is told at once; the change ends failed (aborted), or applied if "
                "the apply finished first."),
        text_input(ids.REASON_BLOCK, "Why", multiline=True, max_length=REASON_MAX),
    ]
    return modal(f"Abort {cr.id}", blocks, callback_id=ids.ABORT_VIEW, submit="Abort",
                 close="Cancel", private_metadata=json.dumps({"change": cr.id}))


def register(app: AsyncApp, services: SlackServices) -> None:
    """The button and its form; who may abort is the engine's rule, checked on submit."""

    @app.action(ids.ABORT)
    async def open_form(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await open_change_form(services, body, respond, _not_running, abort_modal)

    @app.view(ids.ABORT_VIEW)
    async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = payload.typed(view, ids.REASON_BLOCK)
        if not reason:
            await ack(response_action="errors", errors={ids.REASON_BLOCK: BLANK_REASON})
            return
        change_id = str(payload.metadata(view).get("change", ""))
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.abort(change_id, user, reason, gesture=gesture)),
            f"Abort asked: *{change_id}* ends when its executor has stopped; the card shows "
            "the outcome.", fields={"reason": ids.REASON_BLOCK})


def _not_running(cr: ChangeRequest, _user: str) -> str | None:
    return None if cr.state is State.EXECUTING else f"nothing to abort: {describe_state(cr)}"
