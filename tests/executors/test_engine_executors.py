"""The engine with the policy's executors: real programs and a real server, applied exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.executors import ExecutorUnavailable, PolicyExecutorRegistry
from tests.executors.programs import device, ledger_keys, policy_with
from tests.executors.receiver import SECRET, Receiver, serving
from tests.support.reviews import approve_seen
from tests.support.world import World, lookup_usergroup
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.errors import DigestChanged, DryRunFailed, WrongState
from workflow.model import ApplyStatus, ChangeRequest, State


def with_registry(world: World, environ: dict[str, str] | None = None) -> Engine:
    """An engine over the world's storage whose executors come from the policy."""
    registry = PolicyExecutorRegistry(lambda: world.policy, environ or {})
    return Engine(world.uow, world.clock, lambda: world.policy,
                  PolicyDirectory(lambda: world.policy, lookup_usergroup), registry)


async def approved(world: World, engine: Engine) -> ChangeRequest:
    """A high-risk change, dry-run through its executor, approved by n1 and n2."""
    world.engine = engine
    draft = await world.propose("high", dry_run=False, submit=False)
    await engine.run_dry_run(draft.id, "req")
    await engine.submit(draft.id, "req")
    await approve_seen(engine, draft.id, "n1")
    return await approve_seen(engine, draft.id, "n2")


@pytest.fixture
def command_world(tmp_path: Path) -> tuple[World, Engine, Path]:
    argv, ledger = device(tmp_path)
    world = World(policy_text=policy_with(
        {"device": {"kind": "command", "argv": argv, "timeout": "3s"}},
        {"bgp": {"executor": "device"}},
    ))
    return world, with_registry(world), ledger


async def test_command_apply_runs_once_and_records_applied(
    command_world: tuple[World, Engine, Path],
) -> None:
    world, engine, ledger = command_world
    cr = await approved(world, engine)
    assert cr.workflow is not None and cr.workflow.executor == "device"
    assert cr.dry_run is not None and cr.dry_run.output == "+ neighbor 192.0.2.1 remote-as 65001"
    cr = await engine.apply(cr.id, "req")
    assert cr.state is State.APPLIED
    assert cr.apply is not None and cr.apply.output == f"applied {cr.id}\n"
    with pytest.raises(WrongState):
        await engine.apply(cr.id, "req")
    assert ledger_keys(ledger) == [cr.apply_key()]


async def test_command_non_zero_exit_records_failed(
    command_world: tuple[World, Engine, Path],
) -> None:
    world, engine, ledger = command_world
    cr = await approved(world, engine)
    ledger.with_name("behaviour").write_text("fail")
    cr = await engine.apply(cr.id, "req")
    assert cr.state is State.FAILED
    assert cr.apply is not None and "commit refused by edge-1" in cr.apply.output


async def test_command_timeout_records_apply_unknown_and_never_reapplies(
    command_world: tuple[World, Engine, Path],
) -> None:
    world, engine, ledger = command_world
    cr = await approved(world, engine)
    ledger.with_name("behaviour").write_text("hang")
    cr = await engine.apply(cr.id, "req")
    assert cr.state is State.APPLY_UNKNOWN
    assert cr.apply is not None and "did not finish within 3s" in cr.apply.output
    assert await engine.recover_interrupted_applies() == []
    with pytest.raises(WrongState, match="outcome is unknown"):
        await engine.apply(cr.id, "req")
    assert len(ledger_keys(ledger)) == 1
    cr = await engine.resolve(cr.id, "n1", ApplyStatus.FAILED, "edge-1 shows no new neighbor")
    assert cr.state is State.FAILED


async def test_a_changed_dry_run_at_apply_time_goes_back_to_review(
    command_world: tuple[World, Engine, Path],
) -> None:
    world, engine, ledger = command_world
    cr = await approved(world, engine)
    world.clock.advance(minutes=31)
    ledger.with_name("diff").write_text("+ neighbor 192.0.2.99 remote-as 65099")
    with pytest.raises(DigestChanged, match="approvals were invalidated"):
        await engine.apply(cr.id, "req")
    assert (await world.get(cr.id)).state is State.PENDING_REVIEW
    assert ledger_keys(ledger) == []


@pytest_asyncio.fixture
async def webhook_world() -> AsyncIterator[tuple[World, Engine, Receiver]]:
    receiver = Receiver(output="+ neighbor 192.0.2.1")
    async with serving(receiver) as server:
        world = World(policy_text=policy_with(
            {"netops": {"kind": "webhook", "url": str(TestServer.make_url(server, "/hook")),
                        "secret_env": "NETOPS_SECRET", "timeout": "1s"}},
            {"default": {"executor": "netops"}},
        ))
        yield world, with_registry(world, {"NETOPS_SECRET": SECRET.decode()}), receiver


async def test_webhook_apply_is_signed_and_keyed(
    webhook_world: tuple[World, Engine, Receiver],
) -> None:
    world, engine, receiver = webhook_world
    cr = await approved(world, engine)
    cr = await engine.apply(cr.id, "req")
    assert cr.state is State.APPLIED
    assert list(receiver.applied) == [cr.apply_key()]
    assert receiver.refused == 0


async def test_webhook_ok_false_fails_and_a_timeout_is_unknown(
    webhook_world: tuple[World, Engine, Receiver],
) -> None:
    world, engine, receiver = webhook_world
    first = await approved(world, engine)
    second = await approved(world, engine)
    receiver.ok, receiver.output = False, "maintenance window closed"
    assert (await engine.apply(first.id, "req")).state is State.FAILED
    receiver.ok, receiver.hang = True, True
    cr = await engine.apply(second.id, "req")
    assert cr.state is State.APPLY_UNKNOWN
    assert cr.apply is not None and "the outcome is unknown" in cr.apply.output


async def test_a_missing_webhook_secret_refuses_dry_runs_and_is_reported() -> None:
    world = World(policy_text=policy_with(
        {"netops": {"kind": "webhook", "url": "https://netops.example/cg",
                    "secret_env": "NETOPS_SECRET"}},
        {"bgp": {"executor": "netops"}},
    ))
    engine = with_registry(world)
    registry = PolicyExecutorRegistry(lambda: world.policy, {})
    assert registry.problems() == [
        "scenario.yaml: executors.netops.secret_env: the environment variable NETOPS_SECRET is "
        "not set; set it to the webhook's signing secret"
    ]
    draft = await world.propose("high", dry_run=False, submit=False)
    with pytest.raises(DryRunFailed, match="NETOPS_SECRET") as refused:
        await engine.run_dry_run(draft.id, "req")
    assert isinstance(refused.value.__cause__, ExecutorUnavailable)


async def test_external_applies_wait_for_the_pipeline_even_across_a_restart() -> None:
    world = World(policy_text=policy_with({"pipeline": {"kind": "external"}},
                                          {"default": {"executor": "pipeline"}}))
    engine = with_registry(world)
    world.engine = engine
    cr = await world.propose("high")
    await approve_seen(engine, cr.id, "n1")
    await approve_seen(engine, cr.id, "n2")
    cr = await engine.apply(cr.id, "req")
    assert cr.state is State.EXECUTING
    restarted = with_registry(world)
    assert await restarted.recover_interrupted_applies() == []
    cr = await restarted.record_outcome(cr.id, "req", cr.apply_key(), ApplyStatus.APPLIED, "ok")
    assert cr.state is State.APPLIED


async def test_a_change_keeps_the_executor_it_was_submitted_for(
    command_world: tuple[World, Engine, Path],
) -> None:
    world, engine, ledger = command_world
    cr = await approved(world, engine)
    world.use_policy(world.policy_text.replace('"device"', '"renamed"'))
    cr = await engine.apply(cr.id, "req")
    assert cr.state is State.APPLIED  # by the definition it kept, though the policy renamed it
    assert ledger_keys(ledger) == [cr.apply_key()]
