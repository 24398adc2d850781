"""`system` is the engine's own name: no call from outside acts under it, whatever the path
(Slack, the API, a script), while the engine's own timers and executors still do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.engine import Engine
from workflow.errors import NotPermitted
from workflow.model import SYSTEM_ACTOR, ApplyStatus, Content, Metadata, Risk, State

S = SYSTEM_ACTOR
CONTENT = Content("bgp", "update", "edge-1", Risk.LOW, "neighbor 192.0.2.1", "no neighbor")
Call = Callable[[Engine, str], Awaitable[object]]
CALLS: dict[str, Call] = {
    "propose": lambda e, _: e.propose(S, CONTENT, Metadata("by system"), submit=True),
    "edit": lambda e, cid: e.edit(cid, S, metadata=Metadata("renamed")),
    "submit": lambda e, cid: e.submit(cid, S),
    "record_dry_run": lambda e, cid: e.record_dry_run(cid, S, "+ neighbor"),
    "run_dry_run": lambda e, cid: e.run_dry_run(cid, S),
    "approve": lambda e, cid: approve_seen(e, cid, S),
    "reject": lambda e, cid: reject_seen(e, cid, S, "no"),
    "comment": lambda e, cid: e.comment(cid, S, "hm"),
    "withdraw_approval": lambda e, cid: e.withdraw_approval(cid, S),
    "withdraw_request": lambda e, cid: e.withdraw_request(cid, S),
    "withdraw": lambda e, cid: e.withdraw(cid, S),
    "apply": lambda e, cid: e.apply(cid, S),
    "record_outcome": lambda e, cid: e.record_outcome(cid, S, None, ApplyStatus.APPLIED),
    "resolve": lambda e, cid: e.resolve(cid, S, ApplyStatus.APPLIED, "checked"),
}


@pytest.mark.parametrize("call", CALLS)
async def test_no_outside_call_acts_as_system(world: World, call: str) -> None:
    cr = await world.propose("low")  # approved at once: the system's check_operator would pass
    assert cr.state is State.APPROVED

    with pytest.raises(NotPermitted, match="ChangeGate's own name"):
        await CALLS[call](world.engine, cr.id)

    assert await world.get(cr.id) == cr
    assert await world.engine.get("CHG-2") is None


async def test_the_engine_itself_still_acts_as_system(world: World) -> None:
    cr = await world.propose("low")

    applied = await world.engine.apply(cr.id, "req")

    assert applied.state is State.APPLIED
    assert applied.apply is not None and applied.apply.started_by == "req"
    assert (await world.get(cr.id)).approved_at is not None  # approved by the system at once
