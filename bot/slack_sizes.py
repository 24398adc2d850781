"""Live sizes of the Slack user groups a policy names, so `check --live` can hold the policy's
counts against the people who can actually approve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import SLACK_API
from workflow.policy import Policy

# Errors about the token itself: no group can be read, so the whole check stops.
TOKEN_ERRORS = {
    "not_authed": "SLACK_BOT_TOKEN is missing from the request",
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN (invalid_auth)",
    "account_inactive": "SLACK_BOT_TOKEN belongs to a deactivated app or workspace",
    "token_revoked": "SLACK_BOT_TOKEN has been revoked",
    "token_expired": "SLACK_BOT_TOKEN has expired",
    "missing_scope": "SLACK_BOT_TOKEN lacks the usergroups:read scope; add it to the app and "
                     "reinstall",
}


class SlackLookupError(Exception):
    """Slack cannot be asked at all: no connection, or a token it refuses."""


@dataclass(frozen=True, slots=True)
class UsergroupSize:
    """One Slack user group of the policy: its size, or why Slack would not tell it."""

    group: str  # the policy's group name
    usergroup: str  # the Slack user group id
    size: int | None
    error: str | None = None


def slack_groups(policy: Policy) -> dict[str, str]:
    """Policy group name -> Slack user group id, for the groups read from Slack."""
    return {name: group.slack_usergroup for name, group in sorted(policy.groups.items())
            if group.slack_usergroup is not None}


async def usergroup_sizes(policy: Policy, token: str, api_url: str | None
                          ) -> list[UsergroupSize]:
    """Ask Slack (usergroups.users.list) once per user group the policy names."""
    groups = slack_groups(policy)
    base_url = api_url or SLACK_API
    answers: dict[str, int | str] = {}
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=token, base_url=base_url, session=session)
        for usergroup in sorted(set(groups.values())):
            answers[usergroup] = await _size(client, usergroup, base_url)
    return [UsergroupSize(name, ug, *_split(answers[ug])) for name, ug in groups.items()]


def sizes_by_id(sizes: list[UsergroupSize]) -> Mapping[str, int]:
    """What load_policy takes: user group id -> member count, for the groups Slack answered."""
    return {s.usergroup: s.size for s in sizes if s.size is not None}


async def _size(client: AsyncWebClient, usergroup: str, base_url: str) -> int | str:
    try:
        answer = await client.usergroups_users_list(usergroup=usergroup)
    except SlackApiError as exc:
        error = str(exc.response.get("error") if exc.response is not None else exc)
        if error in TOKEN_ERRORS:
            raise SlackLookupError(TOKEN_ERRORS[error]) from None
        return error
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SlackLookupError(f"cannot reach Slack at {base_url}: {exc or type(exc).__name__}"
                               ) from None
    return len(set(answer.get("users") or []))


def _split(answer: int | str) -> tuple[int | None, str | None]:
    return (answer, None) if isinstance(answer, int) else (None, answer)
