"""Who is in a policy group right now, and what that means for a change's active stage."""

from __future__ import annotations

from collections.abc import Callable

from bot.slack.rendering.mrkdwn import people, usergroup
from workflow.directory import UsergroupLookup
from workflow.model import ChangeRequest, State, Verdict
from workflow.policy import Policy
from workflow.progress import active_stage

LISTED_MEMBERS = 10


class People:
    """Group members from the policy: explicit lists, or Slack user groups through `lookup`."""

    def __init__(self, policy: Callable[[], Policy], lookup: UsergroupLookup | None) -> None:
        self._policy = policy
        self._lookup = lookup

    def policy(self) -> Policy:
        """The policy in force."""
        return self._policy()

    def groups_using(self, usergroup_id: str) -> frozenset[str]:
        """Policy groups backed by a Slack user group."""
        return frozenset(name for name, group in self._policy().groups.items()
                         if group.slack_usergroup == usergroup_id)

    async def members(self, group: str) -> frozenset[str] | None:
        """Members of a policy group; None when the policy no longer names it or it is unknown."""
        found = self._policy().groups.get(group)
        if found is None:
            return frozenset()
        if found.members is not None:
            return found.members
        if found.slack_usergroup is None or self._lookup is None:
            return None
        return await self._lookup(found.slack_usergroup)

    async def available(self, cr: ChangeRequest) -> dict[str, int] | None:
        """For each group of the active stage, how many people could still approve for it."""
        if cr.state is not State.PENDING_REVIEW or cr.workflow is None:
            return None
        index = active_stage(cr)
        if index is None:
            return None
        taken = cr.authors | {r.person for r in cr.live_responses()
                              if r.verdict is Verdict.APPROVE}
        counts: dict[str, int] = {}
        for group in cr.workflow.stages[index].groups:
            members = await self.members(group)
            if members is not None:
                counts[group] = len(members - taken)
        return counts

    async def mention(self, group: str) -> str:
        """A mention that notifies the group: its Slack user group, else its listed members."""
        found = self._policy().groups.get(group)
        if found is not None and found.slack_usergroup:
            return usergroup(found.slack_usergroup)
        if found is not None and found.members:
            return people(sorted(found.members), LISTED_MEMBERS)
        return f"`{group}`"

    async def of_workflow(self, cr: ChangeRequest, limit: int) -> set[str]:
        """Everyone in any group of the change's workflow, at most `limit` people."""
        found: set[str] = set()
        if cr.workflow is None:
            return found
        for group in sorted(cr.workflow.groups):
            found |= await self.members(group) or frozenset()
            if len(found) >= limit:
                break
        return set(sorted(found)[:limit])
