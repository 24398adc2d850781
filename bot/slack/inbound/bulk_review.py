"""Approve or reject several changes from App Home: pick, confirm once, decide each, summarize.

The confirmation is acknowledged at once and the changes are decided afterwards, one engine call
each (the same rules as a click on each card), so even 200 stay within Slack's three seconds;
the person then gets one direct message saying which were recorded and which refused, and why.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.slack.inbound import payload
from bot.slack.inbound.feedback import FAILED, tell
from bot.slack.inbound.views import open_view
from bot.slack.rendering import ids
from bot.slack.rendering.bulk_views import (
    BULK_MAX,
    VERBS,
    Outcome,
    confirm_modal,
    select_modal,
    summary_text,
)
from bot.slack.rendering.modals import notice_modal
from bot.slack.services import SlackServices
from workflow.errors import InvalidInput, WorkflowError

log = logging.getLogger(__name__)
NOTHING_CHOSEN = "Tick at least one change."
BLANK_REASON = "Say why: the requesters read it."


def chosen(view: dict[str, Any]) -> list[tuple[str, str]]:
    """The ticked checkboxes of every bulk block: (value, text), in order."""
    found: list[tuple[str, str]] = []
    for block_id, block in payload.values(view).items():
        element = block.get(ids.VALUE)
        options = element.get("selected_options") if isinstance(element, dict) else None
        if not block_id.startswith(ids.BULK_BLOCK) or not isinstance(options, list):
            continue
        for picked in options:
            text = picked.get("text") if isinstance(picked, dict) else None
            if isinstance(picked, dict) and isinstance(picked.get("value"), str):
                found.append((picked["value"], str(text.get("text", "")
                                                   if isinstance(text, dict) else "")))
    return found[:BULK_MAX]


def verdict_of(view: dict[str, Any]) -> str:
    """approve or reject, as the app wrote it into the view."""
    verdict = str(payload.metadata(view).get("verdict", ""))
    return verdict if verdict in VERBS else "approve"


def register(app: AsyncApp, services: SlackServices) -> None:
    """The Home buttons and the two views of a bulk review."""

    @app.action(re.compile(f"^{ids.HOME_BULK}_(approve|reject)$"))
    async def open_bulk(ack: AsyncAck, body: dict[str, Any]) -> None:
        user = payload.actor(body)
        await ack()
        verdict = str(body["actions"][0].get("value", ""))
        groups = await services.directory.groups_of(user)
        page = await services.changes.awaiting(user, groups, BULK_MAX)
        if not page.items:
            await tell(services.client, user, "Nothing awaits your approval now.")
            return
        try:
            await open_view(services, body, select_modal(verdict, page.items))
        except SlackApiError as exc:
            await tell(services.client, user, f":no_entry: the window did not open "
                       f"({exc.response.get('error')}): press the button again")

    @app.view(ids.BULK_SELECT_VIEW)
    async def picked(ack: AsyncAck, view: dict[str, Any]) -> None:
        options = chosen(view)
        if not options:
            await ack(response_action="errors", errors={f"{ids.BULK_BLOCK}0": NOTHING_CHOSEN})
            return
        await ack(response_action="update",
                  view=services.seal.sealed(confirm_modal(verdict_of(view), options)))

    @app.view(ids.BULK_CONFIRM_VIEW)
    async def confirmed(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = payload.actor(body)
        verdict, options = verdict_of(view), chosen(view)
        comment = payload.typed(view, ids.COMMENT_BLOCK)
        if not options:
            await ack(response_action="errors", errors={f"{ids.BULK_BLOCK}0": NOTHING_CHOSEN})
            return
        if verdict == "reject" and not comment:
            await ack(response_action="errors", errors={ids.COMMENT_BLOCK: BLANK_REASON})
            return
        await ack(response_action="update", view=notice_modal(
            f"{VERBS[verdict][0]} {len(options)}",
            f"Deciding each of the {len(options)} changes; a direct message will say which "
            "were recorded and which were refused."))
        outcomes = [await _decide(services, user, verdict, value, comment)
                    for value, _ in options]
        await tell(services.client, user, summary_text(verdict, outcomes))


async def _decide(services: SlackServices, user: str, verdict: str, value: str,
                  comment: str) -> Outcome:
    """One change, through the engine, bound to the revision and digest the person saw."""
    change_id, seen = ids.parse_button_value(value)
    call = services.engine.approve if verdict == "approve" else services.engine.reject
    try:
        if seen is None:
            raise InvalidInput("value", f"the list does not say which revision of {change_id} "
                               "it showed: open the list again")
        await call(change_id, user, seen, comment)
    except WorkflowError as refusal:
        return Outcome(change_id, refusal.message)
    except Exception:
        log.exception("bulk %s of %s by %s failed", verdict, change_id, user)
        return Outcome(change_id, FAILED)
    return Outcome(change_id)
