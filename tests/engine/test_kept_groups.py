"""A change keeps the definition of every group its workflow names (scenario 38): a reload that
renames or redefines a group never changes who may approve, apply or settle a change in flight,
on every storage backend."""

from __future__ import annotations

import pytest

from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.errors import NotEligible
from workflow.model import State


async def at_cab_stage(world: World) -> str:
    cr = await world.propose("critical")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    return cr.id


async def test_38_a_renamed_group_still_lets_its_member_approve(world: World):
    change_id = await at_cab_stage(world)
    world.use_policy(SCENARIO_POLICY.replace("change-advisory-board", "cab"))

    cr = await approve_seen(world.engine, change_id, "c1")

    assert cr.state is State.APPROVED
    assert [r.groups for r in cr.live_responses() if r.person == "c1"] == [
        frozenset({"change-advisory-board"})]


async def test_a_redefined_group_counts_its_members_as_the_change_kept_them(world: World):
    change_id = await at_cab_stage(world)
    world.use_policy(SCENARIO_POLICY.replace("change-advisory-board: {members: [c1, c2, s1]}",
                                             "change-advisory-board: {members: [x, c2]}"))

    with pytest.raises(NotEligible):
        await approve_seen(world.engine, change_id, "x")  # a member only since the reload
    cr = await approve_seen(world.engine, change_id, "c1")  # removed since, kept by the change

    assert cr.state is State.APPROVED
    fresh = await world.propose("critical")
    assert fresh.workflow is not None
    assert [g.members for g in fresh.workflow.group_definitions
            if g.name == "change-advisory-board"] == [frozenset({"x", "c2"})]
