"""The executor a change was submitted with is the one that applies it, and the rules about
reports and dry-run sources read the same snapshot (scenario 37 and its variants): a reload
that binds, redefines or unbinds an executor never reaches an in-flight change."""

from __future__ import annotations

from pathlib import Path

from tests.executors.programs import device, ledger_keys, policy_with
from tests.executors.test_engine_executors import approved, with_registry
from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.engine import Engine
from workflow.model import ApplyStatus, ChangeRequest, State


async def approved_on_typed_dry_run(world: World, engine: Engine) -> ChangeRequest:
    """A high-risk change whose dry-run its requester typed, approved by n1 and n2."""
    world.engine = engine
    cr = await world.propose("high")
    assert cr.dry_run is not None and cr.workflow is not None
    await approve_seen(engine, cr.id, "n1")
    return await approve_seen(engine, cr.id, "n2")


async def test_37_a_reload_that_binds_a_command_never_runs_it_for_an_approved_change(
        tmp_path: Path) -> None:
    world = World(policy_text=SCENARIO_POLICY)
    engine = with_registry(world)
    cr = await approved_on_typed_dry_run(world, engine)
    assert cr.workflow is not None and cr.workflow.executor is None
    argv, ledger = device(tmp_path)
    world.use_policy(policy_with({"device": {"kind": "command", "argv": argv}},
                                 {"bgp": {"executor": "device"}}))

    started = await engine.apply(cr.id, "req")
    reported = await engine.record_outcome(cr.id, "req", None, ApplyStatus.APPLIED, "done")

    assert started.state is State.EXECUTING  # waiting for its pipeline's report
    assert reported.state is State.APPLIED
    assert ledger_keys(ledger) == []  # the command bound since never ran


async def test_37_an_external_executor_redefined_as_a_command_stays_external(
        tmp_path: Path) -> None:
    world = World(policy_text=policy_with({"pipe": {"kind": "external"}},
                                          {"bgp": {"executor": "pipe"}}))
    engine = with_registry(world)
    cr = await approved_on_typed_dry_run(world, engine)
    argv, ledger = device(tmp_path)
    world.use_policy(policy_with({"pipe": {"kind": "command", "argv": argv}},
                                 {"bgp": {"executor": "pipe"}}))

    await engine.apply(cr.id, "req")
    reported = await engine.record_outcome(cr.id, "req", None, ApplyStatus.FAILED, "rolled back")

    assert reported.state is State.FAILED
    assert ledger_keys(ledger) == []


async def test_37_a_command_redefined_as_external_still_applies_and_ends(
        tmp_path: Path) -> None:
    argv, ledger = device(tmp_path)
    world = World(policy_text=policy_with({"device": {"kind": "command", "argv": argv}},
                                          {"bgp": {"executor": "device"}}))
    engine = with_registry(world)
    cr = await approved(world, engine)
    world.use_policy(policy_with({"device": {"kind": "external"}},
                                 {"bgp": {"executor": "device"}}))

    applied = await engine.apply(cr.id, "req")

    assert applied.state is State.APPLIED  # never left executing for a report nobody sends
    assert ledger_keys(ledger) == [applied.apply_key()]
