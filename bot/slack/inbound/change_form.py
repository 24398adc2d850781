"""Opening a change's form from its card's button: the form, or the clicker told why not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncRespond

from bot.slack.inbound import payload
from bot.slack.inbound.feedback import tell
from bot.slack.inbound.views import open_view
from bot.slack.rendering import ids
from bot.slack.rendering.mrkdwn import escape
from bot.slack.services import SlackServices
from workflow.model import ChangeRequest


async def open_change_form(
    services: SlackServices, body: dict[str, Any], respond: AsyncRespond,
    refusal: Callable[[ChangeRequest, str], str | None],
    form: Callable[[ChangeRequest], dict[str, Any]],
) -> None:
    """Open `form` for the button's change, unless `refusal(change, clicker)` says why not."""
    user = payload.actor(body)
    change_id = ids.parse_button_value(str(body["actions"][0].get("value", "")))[0]
    cr = await services.changes.get(change_id)
    problem = f"{escape(change_id)} does not exist" if cr is None else refusal(cr, user)
    if cr is None or problem is not None:
        await tell(services.client, user, f":no_entry: {problem}", respond=respond)
        return
    await open_view(services, body, form(cr))
