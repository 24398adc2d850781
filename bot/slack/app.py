"""The Bolt app: one workspace, authorised from start-up facts, with every listener attached."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.logger.messages import warning_unhandled_request
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.inbound import (
    abort_form,
    actions,
    bulk_review,
    edit_save,
    events_api,
    post_review_form,
    slash_command,
    submissions,
)
from bot.slack.inbound.forged_forms import refusing_forged_forms
from bot.slack.inbound.payload import MalformedPayload
from bot.slack.inbound.replays import ignoring_replays
from bot.slack.services import BotIdentity, SlackServices
from storage.ports.interactions import SeenInteractions

log = logging.getLogger(__name__)
UNAUTHENTICATED = frozenset({"url_verification", "ssl_check"})


def build_app(
    services: SlackServices,
    identity: BotIdentity,
    *,
    bot_token: str,
    signing_secret: str | None,
    client: AsyncWebClient,
    seen: SeenInteractions,
) -> AsyncApp:
    """An AsyncApp that serves only `identity.team_id` and never calls Slack before ack;
    a replayed interaction (`seen` before) reaches no listener, nor does a form whose
    private_metadata the bot did not sign.

    Authorisation comes from the auth.test done at start-up, so no request waits on a Web API
    call. `client` carries the base URL and retry handlers; Bolt copies them per request.
    """

    async def authorize(enterprise_id: str | None, team_id: str | None,
                        user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=identity.team_id,
                               bot_token=bot_token, bot_id=identity.bot_id,
                               bot_user_id=identity.bot_user_id, user_id=user_id)

    async def only_our_workspace(
        body: dict[str, Any], context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],  # Bolt passes it by this name
    ) -> BoltResponse:
        if body.get("type") in UNAUTHENTICATED or body.get("ssl_check"):
            return await next()
        if context.team_id != identity.team_id:
            log.warning("refused a request from workspace %s (serving %s)", context.team_id,
                        identity.team_id)
            return BoltResponse(status=401, body={"error": "unknown workspace"})
        return await next()

    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        authorize=authorize,
        before_authorize=only_our_workspace,
        process_before_response=False,
        raise_error_for_unhandled_request=True,  # to listener_failed, which words the log line
    )
    app.use(ignoring_replays(seen))
    app.use(refusing_forged_forms(services.seal))
    app.error(listener_failed)
    for module in (slash_command, actions, submissions, edit_save, events_api, bulk_review,
                   post_review_form, abort_form):
        module.register(app, services)
    return app


async def listener_failed(error: Exception, request: AsyncBoltRequest,
                          response: BoltResponse | None) -> BoltResponse | None:
    """A listener that met a malformed member refuses the payload with 400 (if not acknowledged
    yet) and one log line; any other failure is logged with its traceback, as Bolt does. A
    request no listener takes keeps Bolt's 404."""
    if isinstance(error, BoltUnhandledRequestError):
        _unhandled(request)
        return None
    if not isinstance(error, MalformedPayload):
        log.exception("a Slack listener failed: %s", error)
        return None
    log.warning("refused a signed Slack payload: %s", error)
    return BoltResponse(status=400, body={"error": "malformed payload"}) if response else None


def _unhandled(request: AsyncBoltRequest) -> None:
    """One line for a slash command that is not the app's (answered 404, which the sandbox
    shows politely), instead of Bolt's suggestion to write a listener; Bolt's words otherwise."""
    command = request.body.get("command") if isinstance(request.body, dict) else None
    if command:
        # a warning: `serve` configures no logging, so Python's last resort prints warnings
        # and above, one line each, on the terminal (docs/sandbox.md promises this line)
        log.warning("refused slash command %s: not a command of this app", command)
    else:
        log.warning(warning_unhandled_request(request))
