"""Telling one person something only they see: refusals and results of their own actions."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
FAILED = ("something went wrong on ChangeGate's side and it is logged for the operators: "
          "look at the card to see where the change stands, then try again")


async def tell(
    client: AsyncWebClient,
    user: str,
    text: str,
    *,
    respond: AsyncRespond | None = None,
    channel: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Ephemeral through the interaction's response_url, else in the channel, else by DM."""
    extra: dict[str, Any] = {"blocks": blocks} if blocks else {}
    if respond is not None and respond.response_url:
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False, **extra)
            return
        except Exception as exc:  # an expired or used-up response_url; fall through
            log.info("response_url refused (%s); telling %s another way", exc, user)
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text, **extra)
            return
        except SlackApiError as exc:
            log.info("no ephemeral in %s (%s); sending a DM", channel, exc.response.get("error"))
    try:
        await client.chat_postMessage(channel=user, text=text, **extra)
    except SlackApiError as exc:
        log.warning("cannot tell %s %r: %s", user, text, exc.response.get("error"))
