"""Who a change in review waits for: the people who could still move its active stage."""

from __future__ import annotations

from collections.abc import Mapping

from workflow.escalation import escalation_group
from workflow.model import ChangeRequest, State
from workflow.progress import active_stage, stage_progress


def awaited_groups(cr: ChangeRequest) -> frozenset[str]:
    """The active stage's groups whose requirement is not met yet, and its escalation group once
    it is escalated; none when the change is not in review."""
    if cr.state is not State.PENDING_REVIEW or cr.workflow is None:
        return frozenset()
    index = active_stage(cr)
    if index is None:
        return frozenset()
    groups = {r.requirement.group for r in stage_progress(cr, index).requirements if not r.met}
    extra = escalation_group(cr, index)
    return frozenset(groups | {extra} if extra else groups)


def awaited(cr: ChangeRequest, members: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Members of the awaited groups (`members` maps a group to its people) who have not
    responded to this revision; never the requester or an author, who may not review it."""
    people: set[str] = set()
    for group in awaited_groups(cr):
        people |= members.get(group, frozenset())
    responded = {r.person for r in cr.live_responses()}
    return frozenset(people - cr.authors - responded)
