"""Card buttons: ack first, act as the signed payload's user, answer refusals to them alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.slack.inbound.clicked import from_click
from bot.slack.inbound.copy_change import copy_as_new
from bot.slack.inbound.edit_form import edit_modal, edit_refusal
from bot.slack.inbound.feedback import FAILED, tell
from bot.slack.inbound.payload import actor, ident, obj
from bot.slack.inbound.views import open_view
from bot.slack.rendering import ids
from bot.slack.rendering.change_modal import change_modal
from bot.slack.rendering.dryrun_modal import dry_run_modal
from bot.slack.rendering.modals import (
    approve_modal,
    comment_modal,
    reject_modal,
    resolve_modal,
    withdraw_modal,
)
from bot.slack.rendering.mrkdwn import escape
from bot.slack.rendering.pager import parse_page_value
from bot.slack.services import SlackServices
from workflow.commands import WithdrawApproval
from workflow.decide import decide
from workflow.errors import WorkflowError
from workflow.model import ChangeRequest, State
from workflow.outcome import describe_state
from workflow.rules_dry_run import check_seen
from workflow.rules_review import check_four_eyes
from workflow.seen import Seen

log = logging.getLogger(__name__)
Act = Callable[[str, str], Awaitable[ChangeRequest]]
BACKLOG = 64  # commands waiting or running before a click's acknowledgement is held back
ROOM_WAIT_S = 1.0  # held back at most this long, and at most DECIDE_WITHIN_S more for the
DECIDE_WITHIN_S = 1.5  # decision: Slack gives up on an acknowledgement after three seconds
# Buttons decided in one quick transaction, acknowledged once committed; the others run an
# executor or open a form (Approve and Withdraw my approval ask for a comment first), and are
# acknowledged first.
DECIDED_BEFORE_ACK = frozenset({ids.WITHDRAW_REQUEST, ids.SUBMIT})


def clicker(body: dict[str, Any]) -> str:
    """The identity Slack signed into the payload, a Slack user id (never `system`, never
    empty); never anything a button carries."""
    return actor(body)


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach a listener to every card button and to the dry-run pager."""
    engine = services.engine
    direct: dict[str, Act] = {
        ids.WITHDRAW_REQUEST: engine.withdraw_request,
        ids.RERUN_DRY_RUN: engine.run_dry_run,
        ids.SUBMIT: engine.submit,
    }
    modals = {ids.COMMENT: comment_modal, ids.RESOLVE: resolve_modal}
    pages = {ids.DRY_RUN_PAGE: dry_run_modal, ids.CHANGE_PAGE: change_modal}

    @app.action(re.compile(f"^({'|'.join(ids.CARD_ACTIONS)})$"))
    async def card_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await engine.room(BACKLOG, ROOM_WAIT_S)  # a click storm waits here, not in a queue
        acked = asyncio.Event()
        acting = asyncio.get_running_loop().create_task(act(body, respond, acked))
        if body["actions"][0]["action_id"] in DECIDED_BEFORE_ACK:
            # Acknowledge once the decision is committed: a click Slack was told about is
            # never lost with a process that stops right after; a slow one is acknowledged
            # anyway before Slack's three seconds are up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(acting), DECIDE_WITHIN_S)
        await ack()
        acked.set()
        await acting

    async def act(body: dict[str, Any], respond: AsyncRespond, acked: asyncio.Event) -> None:
        action = body["actions"][0]
        action_id = str(action["action_id"])
        user = clicker(body)
        channel = (body.get("channel") or {}).get("id")
        change_id, seen = ids.parse_button_value(str(action.get("value", "")))

        async def refuse(text: str) -> None:
            await acked.wait()  # Slack hears the acknowledgement before anything else
            await tell(services.client, user, f":no_entry: {escape(text)}", respond=respond,
                       channel=channel)  # escaped: it may quote a button value or stderr

        async def answer(text: str, blocks: list[dict[str, Any]]) -> None:
            await acked.wait()
            await tell(services.client, user, text, respond=respond, channel=channel,
                       blocks=blocks)

        try:
            cr = await services.changes.get(change_id) if change_id else None
            if cr is None:
                await refuse(f"{change_id or 'the change this button names'} does not exist")
            elif action_id == ids.COPY:
                await copy_as_new(services, cr.id, user, answer)
            elif action_id == ids.APPLY:
                await engine.apply(change_id, user, revision=seen.revision if seen else None)
            elif action_id == ids.EDIT:
                await _edit_form(services, body, cr, user, refuse)
            elif action_id in (ids.APPROVE, ids.REJECT, ids.WITHDRAW_APPROVAL):
                await _review_form(services, body, cr, user, seen, refuse)
            elif action_id in direct:
                await direct[action_id](change_id, user)
            elif action_id == ids.RESOLVE and cr.state is not State.APPLY_UNKNOWN:
                await refuse(f"nothing to settle: {describe_state(cr)}")
            elif action_id == ids.COMMENT and cr.is_terminal:
                await refuse(f"cannot comment: {describe_state(cr)}")
            elif action_id in modals:
                await _open(services, body, modals[action_id](cr, channel or ""), refuse)
            elif action_id == ids.VIEW_CHANGE:
                await _open(services, body, change_modal(cr), refuse)
            else:
                await _open(services, body, dry_run_modal(cr), refuse)
        except WorkflowError as refusal:
            await refuse(refusal.message)
        except Exception:
            log.exception("%s on %s by %s failed", action_id, change_id, user)
            await refuse(FAILED)

    @app.action(re.compile(f"^({ids.DRY_RUN_PAGE}|{ids.CHANGE_PAGE})_(prev|next)$"))
    async def turn_page(ack: AsyncAck, body: dict[str, Any]) -> None:
        view_id = ident(obj(body, "view"), "id", "view.")  # read before ack: a 400 if missing
        await ack()
        pressed = body["actions"][0]
        change_id, page = parse_page_value(str(pressed.get("value", "")))
        render = pages.get(str(pressed.get("action_id", "")).rpartition("_")[0], dry_run_modal)
        cr = await services.changes.get(change_id)
        if cr is not None:
            await services.client.views_update(view_id=view_id, view=render(cr, page))

    @app.action(ids.OPEN_CARD)
    async def open_card(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL, the app only acknowledges

    @app.action(ids.HOME_MORE)
    async def home_more(ack: AsyncAck, body: dict[str, Any]) -> None:
        user = clicker(body)
        await ack()
        services.homes.show_more(user, str(body["actions"][0].get("value", "")))
        await services.homes.publish(user)


async def _review_form(services: SlackServices, body: dict[str, Any], cr: ChangeRequest,
                       user: str, seen: Seen | None, refuse: Callable[[str], Awaitable[None]]
                       ) -> None:
    """Open the approve, reject or withdraw form, unless the core already refuses the clicker:
    the requester and the authors are told at once, before any form opens, and so is a
    clicker whose card is older than the change (its form would be refused on submit)."""
    action_id = str(body["actions"][0]["action_id"])
    channel = str((body.get("channel") or {}).get("id") or "")
    now = services.clock.now()
    clicked = from_click(body)
    if action_id == ids.WITHDRAW_APPROVAL:
        refusal = decide(cr, WithdrawApproval(cr.id, user), now).refusal
        if refusal is not None:
            raise refusal
        await _open(services, body, withdraw_modal(cr, channel, clicked), refuse)
        return
    check_four_eyes(cr, user)
    verb = "approve" if action_id == ids.APPROVE else "reject"
    if seen is None:
        await refuse(f"this button does not say which revision of {cr.id} it shows: "
                     "use the buttons of its current card")
        return
    check_seen(cr, seen)
    if cr.state is not State.PENDING_REVIEW:
        await refuse(f"cannot {verb}: {describe_state(cr)}")
    elif action_id == ids.APPROVE:
        await _open(services, body, approve_modal(cr, channel, seen, now, clicked), refuse)
    else:
        await _open(services, body, reject_modal(cr, channel, seen, clicked), refuse)


async def _edit_form(services: SlackServices, body: dict[str, Any], cr: ChangeRequest,
                     user: str, refuse: Callable[[str], Awaitable[None]]) -> None:
    """Open the Edit form, unless the engine would refuse this person's edit of the change."""
    refusal = edit_refusal(cr, user, services.clock.now())
    if refusal is not None:
        await refuse(refusal)
        return
    channel = str((body.get("channel") or {}).get("id") or "")
    await _open(services, body, edit_modal(cr, user, channel), refuse)


async def _open(services: SlackServices, body: dict[str, Any], view: dict[str, Any],
                refuse: Callable[[str], Awaitable[None]]) -> None:
    try:
        await open_view(services, body, view)
    except SlackApiError as exc:
        await refuse(f"the window did not open ({exc.response.get('error')}): press the button "
                     "again")
