"""Slack user-group membership, cached with a TTL and refreshed when Slack says it changed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
DEFAULT_TTL_S = 300.0  # usergroups.users.list is Tier 2 (about 20 calls a minute)


@dataclass(frozen=True, slots=True)
class _Entry:
    members: frozenset[str]
    fetched_at: float


class UsergroupMembership:
    """Members of a user group by id; plugs into PolicyDirectory as its usergroup lookup."""

    def __init__(self, client: AsyncWebClient, *, ttl_s: float = DEFAULT_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def __call__(self, usergroup_id: str) -> frozenset[str]:
        """Same as members(); lets the cache be passed where a lookup function is expected."""
        return await self.members(usergroup_id)

    async def members(self, usergroup_id: str) -> frozenset[str]:
        """Current members: from the cache while fresh, else from Slack (one call per group)."""
        entry = self._cache.get(usergroup_id)
        if entry is not None and self._fresh(entry):
            return entry.members
        async with self._locks.setdefault(usergroup_id, asyncio.Lock()):
            entry = self._cache.get(usergroup_id)
            if entry is not None and self._fresh(entry):
                return entry.members
            return await self._fetch(usergroup_id, entry)

    def forget(self, usergroup_id: str) -> None:
        """Drop a group so the next lookup asks Slack (on subteam_members_changed)."""
        self._cache.pop(usergroup_id, None)

    async def refresh(self, usergroup_id: str) -> frozenset[str]:
        """Ask Slack now, whatever the cache holds."""
        self.forget(usergroup_id)
        return await self.members(usergroup_id)

    def _fresh(self, entry: _Entry) -> bool:
        return self._clock() - entry.fetched_at < self._ttl_s

    async def _fetch(self, usergroup_id: str, stale: _Entry | None) -> frozenset[str]:
        try:
            response = await self._client.usergroups_users_list(usergroup=usergroup_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else exc
            if stale is not None:
                log.warning("user group %s: %s; using members from %.0fs ago", usergroup_id,
                            error, self._clock() - stale.fetched_at)
                return stale.members
            log.error("user group %s: %s; treating it as empty until Slack answers",
                      usergroup_id, error)
            return frozenset()
        users = response.get("users") or []
        members = frozenset(str(u) for u in users)
        self._cache[usergroup_id] = _Entry(members, self._clock())
        return members
