"""A submitted form's decision and its key are one commit (no write before it), and a replay of
the same key is refused without a write, on every storage backend."""

from __future__ import annotations

import pytest

from tests.support.backends import Backend
from tests.support.probed_uow import ProbedUnits
from tests.support.world import World
from workflow.errors import Replayed, SelfApproval
from workflow.model import State
from workflow.seen import Seen

KEY = "f" * 64


@pytest.fixture
def probe(backend: Backend) -> ProbedUnits:
    return ProbedUnits(backend.uow)


@pytest.fixture
def world(probe: ProbedUnits) -> World:
    return World(uow=probe)


async def test_an_approval_and_its_gesture_are_one_commit(world: World, probe: ProbedUnits
                                                          ) -> None:
    cr = await world.propose("high")
    probe.reset()

    approved = await world.engine.approve(cr.id, "n1", Seen.of(cr), receipt=KEY)

    assert probe.committed == 1  # the decision, with the key in it
    assert [r.person for r in approved.live_responses()] == ["n1"]


async def test_a_replayed_gesture_is_refused_without_a_write(world: World, probe: ProbedUnits
                                                             ) -> None:
    cr = await world.propose("high")
    await world.engine.approve(cr.id, "n1", Seen.of(cr), receipt=KEY)
    await world.engine.withdraw_approval(cr.id, "n1")
    probe.reset()

    with pytest.raises(Replayed):
        await world.engine.approve(cr.id, "n1", Seen.of(cr), receipt=KEY)

    assert probe.committed == 0
    after = await world.get(cr.id)
    assert after.live_responses() == () and after.state is State.PENDING_REVIEW


async def test_a_refused_gesture_leaves_its_key_free(world: World) -> None:
    cr = await world.propose("high")
    with pytest.raises(SelfApproval):
        await world.engine.approve(cr.id, "req", Seen.of(cr), receipt=KEY)

    approved = await world.engine.approve(cr.id, "n1", Seen.of(cr), receipt=KEY)

    assert [r.person for r in approved.live_responses()] == ["n1"]
