"""Group membership from the policy: explicit member lists, and Slack user groups via a lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from workflow.policy import Policy

UsergroupLookup = Callable[[str], Awaitable[frozenset[str]]]


class PolicyDirectory:
    """Answers which policy groups a person is in right now."""

    def __init__(
        self, policy: Callable[[], Policy], usergroup_members: UsergroupLookup | None = None
    ) -> None:
        self._policy = policy
        self._usergroup_members = usergroup_members

    async def groups_of(self, person: str) -> frozenset[str]:
        """Explicit groups from the policy plus Slack user groups the lookup reports."""
        policy = self._policy()
        groups = set(policy.static_groups_of(person))
        if self._usergroup_members is not None:
            for name, group in policy.groups.items():
                if group.slack_usergroup and person in await self._usergroup_members(
                    group.slack_usergroup
                ):
                    groups.add(name)
        return frozenset(groups)
