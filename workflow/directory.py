"""Group membership from the policy: explicit member lists, and Slack user groups via a lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from workflow.model import GroupDef
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
        """The groups of the policy in force that the person is in right now."""
        return frozenset(g.name for g in await self.within(self._policy().groups.values(), person))

    async def within(self, groups: Iterable[GroupDef], person: str) -> frozenset[GroupDef]:
        """Which of these definitions (the policy's, or a change's own) hold the person right
        now: listed members, or a Slack user group's live members."""
        found = set()
        for group in groups:
            if group.members is not None:
                member = person in group.members
            else:
                member = (self._usergroup_members is not None and group.slack_usergroup is not None
                          and person in await self._usergroup_members(group.slack_usergroup))
            if member:
                found.add(group)
        return frozenset(found)
