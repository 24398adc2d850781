"""Executor failures reach people as refusals with a reason, never as crashes or half-writes."""

from __future__ import annotations

import pytest

from tests.support.backends import Backend
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.errors import DryRunFailed
from workflow.model import State


async def test_failed_dry_run_records_nothing_and_is_audited(world: World, backend: Backend):
    cr = await world.propose("high", dry_run=False)
    world.executor.raise_on_dry_run = RuntimeError("device unreachable")
    with pytest.raises(DryRunFailed, match="device unreachable"):
        await world.engine.run_dry_run(cr.id, "n1")
    assert (await world.get(cr.id)).dry_run is None
    refused = [r.record for r in await backend.audit_rows() if r.record["kind"] == "refused"]
    assert refused[-1]["data"]["reason"] == "dry_run_failed"


async def test_failed_rerun_at_apply_leaves_the_change_approved(world: World):
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    await approve_seen(world.engine, cr.id, "n2")
    world.clock.advance(minutes=31)
    world.executor.raise_on_dry_run = RuntimeError("timeout")
    with pytest.raises(DryRunFailed):
        await world.engine.apply(cr.id, "req")
    after = await world.get(cr.id)
    assert after.state is State.APPROVED
    assert world.executor.applies == []
