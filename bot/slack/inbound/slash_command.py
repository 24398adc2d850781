"""The `/change` slash command: ack at once, then open the form, list, show or act."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.slack.inbound.command_parse import parse, usage
from bot.slack.inbound.copy_change import copy_as_new
from bot.slack.inbound.edit_form import edit_modal, edit_refusal
from bot.slack.inbound.feedback import FAILED, tell
from bot.slack.inbound.payload import actor
from bot.slack.inbound.views import open_view
from bot.slack.rendering.blocks import actions, section
from bot.slack.rendering.card import render_card
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.card_parts import apply_button, last_rejection
from bot.slack.rendering.home import APPROVED, AWAITING, DECIDED, MINE, NEEDS
from bot.slack.rendering.labels import state_label
from bot.slack.rendering.modals import proposal_modal
from bot.slack.rendering.mrkdwn import clip, escape, person
from bot.slack.services import SlackServices
from storage.reads import Page
from workflow.errors import WorkflowError, WrongState
from workflow.model import ChangeRequest, State
from workflow.outcome import require_state
from workflow.rules_apply import refuse_missed_schedule

log = logging.getLogger(__name__)
LISTED = 10
APPLY_OFFER_BLOCK = "cg_apply_offer"  # `/change apply`'s answer: the card's Apply button


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the /change listener."""

    @app.command("/change")
    async def change(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await run(services, body, respond)


async def run(services: SlackServices, body: dict[str, Any], respond: AsyncRespond) -> None:
    """Carry out one /change; refusals and bad input are answered to the caller only."""
    user = actor(body)
    channel = str(body.get("channel_id", ""))
    parsed = parse(str(body.get("text", "")))

    async def answer(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await tell(services.client, user, text, respond=respond, channel=channel, blocks=blocks)

    if parsed.verb == "help":
        await answer(usage(parsed.problem))
        return
    if parsed.verb == "new":
        try:
            await open_view(services, body, proposal_modal(origin=channel))
        except SlackApiError as exc:
            await answer(f":warning: The form did not open ({exc.response.get('error')}): "
                         "run `/change new` again.")
        return
    if parsed.verb == "list":
        await answer(*await _list(services, user))
        return
    change_id = parsed.change_id
    assert change_id is not None
    try:
        if parsed.verb == "edit":
            await _open_edit(services, body, change_id, user, answer)
            return
        if parsed.verb == "show":
            cr = await services.changes.get(change_id)
            if cr is None:
                await answer(f"{change_id} does not exist")
                return
            card = render_card(cr, CardContext(
                now=services.clock.now(), ticket_url=services.people.policy().ticket_url))
            await answer(card.text, card.blocks)
            return
        if parsed.verb == "apply":
            await _offer_apply(services, change_id, answer)
            return
        if parsed.verb == "copy":
            await copy_as_new(services, change_id, user, answer)
            return
        await answer(await _act(services, parsed.verb, change_id, user))
    except WorkflowError as refusal:
        await answer(f":no_entry: {escape(refusal.message)}")
    except Exception:
        log.exception("/change %s by %s failed", parsed.verb, user)
        await answer(f":warning: {FAILED}")


async def _act(services: SlackServices, verb: str, change_id: str, user: str) -> str:
    engine = services.engine
    if verb == "withdraw":
        cr = await engine.withdraw(change_id, user)
        if cr.requester == user:
            return f"You withdrew {cr.id}."
        return f"You withdrew your approval of {cr.id}; it is {cr.state.value.replace('_', ' ')}."
    if verb == "submit":
        cr = await engine.submit(change_id, user)
        return f"You submitted {cr.id}; it is {cr.state.value.replace('_', ' ')}."
    assert verb == "dry-run", verb  # apply asks first: _offer_apply
    cr = await engine.run_dry_run(change_id, user)
    digest = cr.dry_run.digest[:12] if cr.dry_run else "?"
    return f"Dry-run of {cr.id} recorded: `sha256:{digest}`."


async def _offer_apply(services: SlackServices, change_id: str,
                       answer: Callable[[str, list[dict[str, Any]] | None], Awaitable[None]]
                       ) -> None:
    """The card's Apply button, for the caller alone: pressing it asks the same confirmation
    the card's does, and applies the revision it names. A change no one may apply now is
    refused at once, in the engine's words."""
    cr = await services.changes.get(change_id)
    if cr is None:
        await answer(f"{change_id} does not exist", None)
        return
    if cr.state is State.SCHEDULED:
        raise WrongState(f"cannot apply now: {cr.id} applies by itself at its scheduled time")
    require_state(cr, [State.APPROVED], "apply")
    refuse_missed_schedule(cr, services.clock.now())
    text = (f"Apply *{cr.id}* · {escape(clip(cr.metadata.title, 200))} (revision "
            f"{cr.revision}) on {escape(clip(cr.content.target, 150))}? Press *Apply*: it asks "
            "you to confirm, as the card's button does; the card then shows the apply.")
    await answer(text, [section(text), actions(APPLY_OFFER_BLOCK, apply_button(cr))])


async def _open_edit(services: SlackServices, body: dict[str, Any], change_id: str, user: str,
                     answer: Callable[[str], Awaitable[None]]) -> None:
    """The Edit form, or why the engine would not take this person's edit of the change."""
    cr = await services.changes.get(change_id)
    if cr is None:
        await answer(f"{change_id} does not exist")
        return
    refusal = edit_refusal(cr, user, services.clock.now())
    if refusal is not None:
        await answer(f":no_entry: {refusal}")
        return
    channel = str(body.get("channel_id", ""))
    try:
        await open_view(services, body, edit_modal(cr, user, channel))
    except SlackApiError as exc:
        await answer(f":warning: The form did not open ({exc.response.get('error')}): "
                     f"run `/change edit {cr.id}` again.")


async def _list(services: SlackServices, user: str) -> tuple[str, list[dict[str, Any]]]:
    """What needs you (your rejected, expired, unknown-outcome or review-owing changes, shown
    only when there is any), what awaits your approval, and your open requests."""
    lists = await services.homes.lists(user, {NEEDS: LISTED, AWAITING: LISTED, MINE: LISTED,
                                              APPROVED: 0, DECIDED: 0})
    lines = [_section("Needs your action", lists[NEEDS], _needs_row)] if lists[NEEDS].total \
        else []
    lines += [_section("Awaiting your approval", lists[AWAITING]),
              _section("Your requests", lists[MINE])]
    text = "\n\n".join(lines)
    return clip(text, 3000), [{"type": "section", "text": {"type": "mrkdwn",
                                                          "text": clip(line, 3000)}}
                              for line in lines]


def _row(cr: ChangeRequest) -> str:
    return f"• *{cr.id}* {escape(clip(cr.metadata.title, 80))} · {state_label(cr.state)}"


def _needs_row(cr: ChangeRequest) -> str:
    """The row, and for a rejected change who rejected it and why."""
    rejection = last_rejection(cr) if cr.state is State.REJECTED else None
    if rejection is None:
        return _row(cr)
    return (f"{_row(cr)} by {person(rejection.person)}: "
            f"_{escape(clip(' '.join(rejection.comment.split()), 120))}_ (`/change edit {cr.id}`)")


def _section(title: str, page: Page, row: Callable[[ChangeRequest], str] = _row) -> str:
    if not page.total:
        return f"*{title}*: none"
    rows = [row(cr) for cr in page.items[:LISTED]]
    hidden = page.total - len(rows)
    more = f"\n…and {hidden} more in the App Home" if hidden > 0 else ""
    return f"*{title}* ({page.total})\n" + "\n".join(rows) + more
