"""A ChangeGate process the crash tests kill: it applies one change, or relays the outbox.

Run from the repository root as `python -m tests.timers.crash_child URL DIRECTORY CHANGE_ID`
(apply), or with `relay` for CHANGE_ID (deliver every outbox message to the file `sink`, and
hang in the middle of the first delivery).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.clock import SystemClock
from bot.executors import PolicyExecutorRegistry
from bot.outbox.relay import Relay
from storage.database import open_database
from storage.ports.outbox import Claimed
from storage.sql.outbox import SqlOutboxQueue
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.executors.programs import device, policy_with
from tests.support.world import lookup_usergroup
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.policy import Policy, parse_policy


def crash_policy(directory: Path) -> Policy:
    """The scenario policy with every family bound to the device program in `directory`."""
    argv, _ = device(directory)
    text = policy_with({"device": {"kind": "command", "argv": argv, "timeout": "10m"}},
                       {"default": {"executor": "device"}})
    return parse_policy(text, "crash.yaml")


def engine_over(uow: SqlUnitOfWorkFactory, policy: Policy) -> Engine:
    """The engine a ChangeGate process would build, on the wall clock."""
    return Engine(uow, SystemClock(), lambda: policy,
                  PolicyDirectory(lambda: policy, lookup_usergroup),
                  PolicyExecutorRegistry(lambda: policy, {}))


async def main(url: str, directory: Path, change_id: str) -> None:
    db = await open_database(url, migrate=False)
    try:
        engine = engine_over(SqlUnitOfWorkFactory(db), crash_policy(directory))
        print("applying", flush=True)
        cr = await engine.apply(change_id, "req")
        print("returned", cr.state.value, flush=True)
    finally:
        await db.dispose()


def sink_writer(sink: Path) -> Callable[[Claimed], Awaitable[None]]:
    """Append each message id to `sink` (fsynced); the receiver dedups by id."""

    def write(line: str) -> None:
        with sink.open("a") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    async def deliver(message: Claimed) -> None:
        await asyncio.to_thread(write, f"{message.id}\n")

    return deliver


async def relay(url: str, directory: Path) -> None:
    db = await open_database(url, migrate=False)
    deliver = sink_writer(directory / "sink")
    hung = False

    async def deliver_then_hang_once(message: Claimed) -> None:
        nonlocal hung
        await deliver(message)
        if not hung:
            hung = True
            await asyncio.Event().wait()  # killed here: delivered, not yet marked delivered

    try:
        print("applying", flush=True)
        await Relay(SqlOutboxQueue(db), SystemClock(), {"change.event": deliver_then_hang_once},
                    owner="crashing").run_once()
    finally:
        await db.dispose()


if __name__ == "__main__":
    if sys.argv[3] == "relay":
        asyncio.run(relay(sys.argv[1], Path(sys.argv[2])))
    else:
        asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
