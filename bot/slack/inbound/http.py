"""POST /slack/events on the bot's aiohttp server: verify, reject malformed input, dispatch."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.slack.inbound.payload import MalformedPayload
from bot.slack.inbound.shape import check

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def events_handler(app: AsyncApp, signing_secret: str) -> Handler:
    """The request handler: a bad signature or stale timestamp is 401 before anything is parsed,
    a body that is not a Slack payload, or not in its shape, is 400 with a one-line log, everything
    else goes to Bolt."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            # Slack signs UTF-8 text; other bytes cannot carry its signature (and would fail
            # to decode as a 500 rather than be refused).
            body = (await request.read()).decode("utf-8")
            valid = verifier.is_valid(body, request.headers.get("X-Slack-Request-Timestamp"),
                                      request.headers.get("X-Slack-Signature"))
        except ValueError:  # not UTF-8, or a timestamp that is not a number
            valid = False
        if not valid:
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            log.warning("refused a signed body Bolt cannot parse: %s", type(exc).__name__)
            return web.json_response({"error": "malformed payload"}, status=400)
        try:
            check(bolt_request.body)
        except MalformedPayload as exc:
            log.warning("refused a signed Slack payload: %s", exc)
            return web.json_response({"error": "not a Slack payload", "detail": str(exc)},
                                     status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle
