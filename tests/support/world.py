"""A scenario harness: the real engine over a chosen storage, with a test clock and policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from storage.memory.store import MemoryUnitOfWorkFactory
from tests.support.clock import TestClock
from tests.support.executor import ScriptedExecutor, SingleExecutorRegistry
from tests.support.policies import SCENARIO_POLICY, USERGROUPS
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.model import OWN_EXECUTOR_KINDS, ChangeRequest, Content, Metadata, Risk
from workflow.policy import Policy, parse_policy
from workflow.ports import UnitOfWorkFactory


async def lookup_usergroup(handle: str) -> frozenset[str]:
    """Slack user group membership as the tests define it."""
    return USERGROUPS.get(handle, frozenset())


@dataclass
class World:
    """Everything one scenario needs; `engine()` builds a fresh engine over the same storage."""

    uow: UnitOfWorkFactory = field(default_factory=MemoryUnitOfWorkFactory)
    clock: TestClock = field(default_factory=TestClock)
    executor: ScriptedExecutor = field(default_factory=ScriptedExecutor)
    policy_text: str = SCENARIO_POLICY

    def __post_init__(self) -> None:
        self.policy: Policy = parse_policy(self.policy_text, "scenario.yaml")
        self.engine = self.new_engine()

    def new_engine(self) -> Engine:
        current: Callable[[], Policy] = lambda: self.policy  # noqa: E731
        return Engine(
            self.uow,
            self.clock,
            current,
            PolicyDirectory(current, lookup_usergroup),
            SingleExecutorRegistry(self.executor),
        )

    def use_policy(self, text: str) -> None:
        self.policy = parse_policy(text, "scenario.yaml")

    async def propose(
        self,
        risk: str = "high",
        actor: str = "req",
        *,
        family: str = "bgp",
        action: str = "update",
        target: str = "edge-1",
        labels: tuple[str, ...] = (),
        scheduled_for: datetime | None = None,
        dry_run: bool = True,
        submit: bool = True,
    ) -> ChangeRequest:
        content = Content(family, action, target, Risk(risk), "neighbor 192.0.2.1 remote-as 65001",
                          "no neighbor 192.0.2.1", scheduled_for)
        metadata = Metadata(f"{risk} change", "", "CHG-3192", labels)
        spec = self.policy.executor_for(family)
        if dry_run and spec is not None and spec.kind in OWN_EXECUTOR_KINDS:
            # The policy takes this family's dry-run from its executor, never typed in.
            cr = await self.engine.propose(actor, content, metadata)
            await self.engine.run_dry_run(cr.id, actor)
            return await self.engine.submit(cr.id, actor) if submit else await self.get(cr.id)
        output = self.executor.dry_run_output if dry_run else None
        return await self.engine.propose(actor, content, metadata, dry_run_output=output,
                                         submit=submit)

    async def get(self, change_id: str) -> ChangeRequest:
        cr = await self.engine.get(change_id)
        assert cr is not None
        return cr
