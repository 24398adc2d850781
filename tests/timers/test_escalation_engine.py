"""Escalation through the engine and timers: reminders, then the escalation group may approve."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.backends import Backend
from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen
from tests.support.world import World
from tests.timers.drive import run_until, timers_for
from workflow.errors import NotEligible
from workflow.model import State

ESCALATING = SCENARIO_POLICY.replace(
    "  contractors: {members: [con]}\n",
    "  contractors: {members: [con]}\n  duty-managers: {members: [m1, m2]}\n",
).replace(
    "  - {name: high, priority: 20, match: {risk: high},\n",
    "  - {name: high, priority: 20, match: {risk: high},\n"
    "     escalate_to: duty-managers, escalate_after: 2,\n",
)


@pytest.fixture
def escalating(backend: Backend) -> World:
    return World(uow=backend.uow, policy_text=ESCALATING)


async def test_after_two_reminders_the_duty_managers_may_approve(
    escalating: World, backend: Backend
) -> None:
    world = escalating
    timers = timers_for(world)
    cr = await world.propose("high")
    assert cr.workflow is not None and cr.workflow.escalation is not None
    await approve_seen(world.engine, cr.id, "n1")
    timers.arm(cr)
    start = world.clock.now()
    await run_until(timers, world.clock, start + timedelta(hours=4))
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    with pytest.raises(NotEligible):
        await approve_seen(world.engine, cr.id, "m1")
    await run_until(timers, world.clock, start + timedelta(hours=8))
    records = [r.record for r in await backend.audit_rows()]
    escalated = [r for r in records if r["kind"] == "escalated"]
    assert len(escalated) == 1
    assert escalated[0]["data"]["group"] == "duty-managers"
    assert escalated[0]["data"]["responded"] == ["n1"]
    await world.engine.record_dry_run(cr.id, "req", world.executor.dry_run_output)
    cr = await approve_seen(world.engine, cr.id, "m1")
    assert cr.state is State.APPROVED
    response = [r for r in records + [x.record for x in await backend.audit_rows()]
                if r["kind"] == "response" and r["actor"] == "m1"]
    assert response[-1]["data"]["stand_in"] is True


async def test_later_reminders_name_the_escalation_group(
    escalating: World, backend: Backend
) -> None:
    world = escalating
    timers = timers_for(world)
    timers.arm(await world.propose("high"))
    await run_until(timers, world.clock, world.clock.now() + timedelta(hours=12))
    reminded = [r.record["data"] for r in await backend.audit_rows()
                if r.record["kind"] == "reminded"]
    assert [r["groups"] for r in reminded] == [
        ["senior-network-engineers"],
        ["senior-network-engineers"],
        ["duty-managers", "senior-network-engineers"],
    ]
