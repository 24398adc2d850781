"""The executor registry the engine uses, built from the policy's `executors` and `families`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from bot.executors.command import CommandExecutor
from bot.executors.errors import ExecutorUnavailable
from bot.executors.webhook import WebhookExecutor
from workflow.executor_spec import CommandSpec, ExternalSpec, WebhookSpec
from workflow.model import ApplyStatus, ChangeRequest
from workflow.policy import ExecutorSpec, Policy
from workflow.ports import ApplyResult, Executor


class Unavailable:
    """Stands for an executor that cannot run: dry-runs are refused, applies fail untouched."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def dry_run(self, change: ChangeRequest) -> str:
        raise ExecutorUnavailable(self.reason)

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult:
        return ApplyResult(ApplyStatus.FAILED, f"not applied, nothing was run: {self.reason}")


class PolicyExecutorRegistry:
    """Finds a change's executor: the one kept in its snapshot at submit (the family's binding
    now while it is a draft). `external` executors and none bound give None: an outside
    pipeline reports instead."""

    def __init__(
        self, policy: Callable[[], Policy], environ: Mapping[str, str] | None = None
    ) -> None:
        self._policy = policy
        self._environ = os.environ if environ is None else environ
        self._built: dict[ExecutorSpec, Executor] = {}

    def problems(self) -> list[str]:
        """What would stop an executor of the current policy from running (for start-up)."""
        policy = self._policy()
        return [
            f"{policy.source}: executors.{spec.name}.secret_env: the environment variable "
            f"{spec.secret_env} is not set; set it to the webhook's signing secret"
            for spec in policy.executors.executors.values()
            if isinstance(spec, WebhookSpec) and not self._environ.get(spec.secret_env)
        ]

    def for_change(self, change: ChangeRequest) -> Executor | None:
        """A draft's executor is its family's binding now; a submitted change's is the one it
        was submitted with, whatever the policy says since (none kept: a pipeline reports)."""
        spec = self._kept(change) if change.workflow else self._policy().executor_for(
            change.content.family)
        if isinstance(spec, Unavailable):
            return spec
        if spec is None or isinstance(spec, ExternalSpec):
            return None
        if spec in self._built:
            return self._built[spec]
        if isinstance(spec, CommandSpec):
            built: Executor = CommandExecutor(spec, self._environ)
        else:
            secret = self._environ.get(spec.secret_env)
            if not secret:  # not cached: setting the variable later makes it usable
                return Unavailable(f"the environment variable {spec.secret_env} holding the "
                                   f"signing secret of executor {spec.name} is not set")
            built = WebhookExecutor(spec, secret.encode("utf-8"))
        self._built[spec] = built
        return built

    def _kept(self, change: ChangeRequest) -> ExecutorSpec | Unavailable | None:
        """The executor a submitted change keeps. A row stored before changes kept the
        definition names one: its definition now counts only while of the kind it was."""
        assert change.workflow is not None
        workflow = change.workflow
        if workflow.executor_spec is not None or workflow.executor is None:
            return workflow.executor_spec
        now = self._policy().executors.executors.get(workflow.executor)
        if now is not None and now.kind == workflow.executor_kind:
            return now
        return Unavailable(f"{change.id} was submitted for executor {workflow.executor}, which "
                           "the policy no longer defines as it was: submit a new revision")

