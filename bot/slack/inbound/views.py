"""Every view the bot opens or shows leaves through here, so a form always goes out with its
private_metadata signed (bot/slack/sealing.py)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.services import SlackServices

log = logging.getLogger(__name__)


async def open_view(services: SlackServices, body: dict[str, Any], view: dict[str, Any]
                    ) -> None:
    """Open `view` with the request's trigger (Slack's errors are the caller's to word)."""
    await services.client.views_open(trigger_id=str(body.get("trigger_id", "")),
                                     view=services.seal.sealed(view))


async def show_view(services: SlackServices, view: dict[str, Any], replacement: dict[str, Any]
                    ) -> None:
    """Replace the submitted view; a form shown again goes out signed like any other."""
    try:
        await services.client.views_update(view_id=str(view["id"]),
                                           view=services.seal.sealed(replacement))
    except SlackApiError as exc:
        log.warning("view %s not updated: %s", view.get("id"), exc.response.get("error"))
