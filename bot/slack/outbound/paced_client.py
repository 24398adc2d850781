"""A Web API client that keeps to Slack's rate limits: every call waits for its method's budget
(bot/slack/outbound/pacing.py), and a 429 holds the method for its Retry-After, then sends the
same call again, however many times it takes, so no update is dropped and none is sent early."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import FormData
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.outbound.pacing import SlackPacer

NO_RETRY_AFTER_S = 1.0  # Slack always sends Retry-After; this is only for an answer without one


class PacedWebClient(AsyncWebClient):
    """An AsyncWebClient whose every call goes through `pacer`."""

    def __init__(self, *, pacer: SlackPacer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

    async def api_call(
        self, api_method: str, *, http_verb: str = "POST", files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None, params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        channel = channel_of(json, data, params)
        while True:
            await self.pacer.acquire(api_method, channel)
            try:
                return await super().api_call(api_method, http_verb=http_verb, files=files,
                                              data=data, params=params, json=json,
                                              headers=headers, auth=auth)
            except SlackApiError as exc:
                if getattr(exc.response, "status_code", None) != 429:
                    raise
                self.pacer.hold(api_method, retry_after_s(exc.response.headers))


def channel_of(*sources: object) -> str | None:
    """The channel a call names, wherever slack_sdk put its arguments."""
    for source in sources:
        if isinstance(source, Mapping) and source.get("channel"):
            return str(source["channel"])
    return None


def retry_after_s(headers: Any) -> float:
    """Retry-After in seconds (the header's name in any case)."""
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return NO_RETRY_AFTER_S
