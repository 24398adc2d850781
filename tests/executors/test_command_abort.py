"""Aborting a running apply of the command executor stops its whole process group for real:
SIGTERM first, SIGKILL after the grace; the outcome is failed with `aborted` when the program
ended on SIGTERM, apply_unknown when it had to be killed (it never said how far it got)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from bot.executors import CommandExecutor
from tests.executors.processes import gone
from tests.executors.programs import policy_with
from tests.executors.test_engine_executors import approved, with_registry
from tests.support.builders import pending
from tests.support.executor import SingleExecutorRegistry
from tests.support.world import World, lookup_usergroup
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.errors import InvalidInput, NotPermitted, WrongState
from workflow.executor_spec import CommandSpec
from workflow.model import ApplyStatus, State

KEY = "CHG-1:1:abc"
READY_S = 30.0


def sleeper(pids: Path, ignore_term: bool = False) -> list[str]:
    """A program that prints a diff for a dry-run; for an apply, starts a sleeping child,
    writes both pids, then sleeps."""
    code = f"""
import json, os, signal, subprocess, sys, time
if json.load(sys.stdin)["mode"] == "dry_run":
    print("+ neighbor 192.0.2.1 remote-as 65001")
    sys.exit(0)
{"signal.signal(signal.SIGTERM, signal.SIG_IGN)" if ignore_term else ""}
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open({str(pids)!r} + ".tmp", "w").write(f"{{os.getpid()}} {{child.pid}}")
os.rename({str(pids)!r} + ".tmp", {str(pids)!r})
time.sleep(600)
"""
    return [sys.executable, "-c", code]


def written(pids: Path) -> list[int]:
    """The program's and its child's pids, once it has written them (bounded)."""
    deadline = time.monotonic() + READY_S
    while not pids.exists():
        assert time.monotonic() < deadline, "the program never started"
        time.sleep(0.01)
    return [int(p) for p in pids.read_text().split()]


async def started(pids: Path) -> list[int]:
    """`written`, off the event loop that runs the executor."""
    return await asyncio.to_thread(written, pids)


@pytest.mark.parametrize("ignore_term", [False, True], ids=["SIGTERM", "SIGKILL after grace"])
async def test_abort_stops_the_process_group_failed_or_unknown_when_killed(
        tmp_path: Path, ignore_term: bool) -> None:
    pids = tmp_path / "pids"
    spec = CommandSpec("sleeper", tuple(sleeper(pids, ignore_term)))
    executor = CommandExecutor(spec, environ={"PATH": "/usr/bin:/bin"}, abort_grace_s=0.5)
    change = pending()
    running = asyncio.create_task(executor.apply(change, KEY))
    program, child = await started(pids)

    await executor.abort(change, KEY)
    result = await asyncio.wait_for(running, READY_S)

    if ignore_term:
        assert result.status is ApplyStatus.UNKNOWN
        assert ("[aborted: still running 0.5s after SIGTERM, so it was killed: the outcome is "
                "unknown]") in result.output
    else:
        assert result.status is ApplyStatus.FAILED
        assert "[aborted: was terminated by signal 15]" in result.output
    assert gone(program) and gone(child), "a process of the group survived the abort"


async def test_an_abort_that_must_kill_the_program_ends_apply_unknown_through_the_engine(
        tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    argv = sleeper(pids, ignore_term=True)
    world = World(policy_text=policy_with(
        {"device": {"kind": "command", "argv": argv, "timeout": "10m"}},
        {"bgp": {"executor": "device"}}))
    executor = CommandExecutor(CommandSpec("device", tuple(argv)),
                               environ={"PATH": "/usr/bin:/bin"}, abort_grace_s=0.5)
    engine = Engine(world.uow, world.clock, lambda: world.policy,
                    PolicyDirectory(lambda: world.policy, lookup_usergroup),
                    SingleExecutorRegistry(executor))
    cr = await approved(world, engine)
    running = asyncio.create_task(engine.apply(cr.id, "req"))
    program, child = await started(pids)

    await engine.abort(cr.id, "n1", "it hangs")
    done = await asyncio.wait_for(running, READY_S)

    assert done.state is State.APPLY_UNKNOWN
    assert done.apply is not None and not done.apply.aborted
    assert done.apply.abort_requested_by == "n1"
    assert "so it was killed: the outcome is unknown" in done.apply.output
    assert gone(program) and gone(child)


async def test_an_abort_through_the_engine_records_failed_aborted_and_is_audited(
        tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    world = World(policy_text=policy_with(
        {"device": {"kind": "command", "argv": sleeper(pids), "timeout": "10m"}},
        {"bgp": {"executor": "device"}}))
    engine = with_registry(world)
    cr = await approved(world, engine)
    running = asyncio.create_task(engine.apply(cr.id, "req"))
    await started(pids)
    with pytest.raises(NotPermitted):
        await engine.abort(cr.id, "x", "not mine to stop")
    with pytest.raises(InvalidInput, match="reason"):
        await engine.abort(cr.id, "n1", "  ")

    await engine.abort(cr.id, "n1", "wrong maintenance window")
    done = await asyncio.wait_for(running, READY_S)

    assert done.state is State.FAILED
    assert done.apply is not None and done.apply.aborted
    assert done.apply.abort_requested_by == "n1"
    assert done.apply.abort_reason == "wrong maintenance window"
    with pytest.raises(WrongState, match="already failed"):
        await engine.abort(cr.id, "n1", "again")
