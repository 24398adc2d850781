"""A scripted executor: dry-run outputs and apply results are set by the test, calls are counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.model import ApplyStatus, ChangeRequest
from workflow.ports import ApplyResult, Executor


class ProcessKilled(BaseException):
    """Stands for the process dying mid-apply: nothing in the engine may catch it."""


@dataclass
class ScriptedExecutor:
    """Returns `dry_run_output` for dry-runs and `result` for applies; records every call."""

    dry_run_output: str = "+ neighbor 192.0.2.1 remote-as 65001"
    result: ApplyResult | None = field(default_factory=lambda: ApplyResult(ApplyStatus.APPLIED))
    raise_on_apply: BaseException | None = None
    raise_on_dry_run: Exception | None = None
    dry_runs: list[str] = field(default_factory=list)
    applies: list[str] = field(default_factory=list)
    abortable: bool = False
    aborts: list[str] = field(default_factory=list)

    async def dry_run(self, change: ChangeRequest) -> str:
        self.dry_runs.append(change.id)
        if self.raise_on_dry_run is not None:
            raise self.raise_on_dry_run
        return self.dry_run_output

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult | None:
        self.applies.append(key)
        if self.raise_on_apply is not None:
            raise self.raise_on_apply
        return self.result

    def cannot_abort(self, change: ChangeRequest) -> str | None:
        return None if self.abortable else "this executor cannot stop a running apply"

    async def abort(self, change: ChangeRequest, key: str) -> None:
        self.aborts.append(key)


@dataclass
class SingleExecutorRegistry:
    """Binds one executor to every family."""

    executor: Executor | None

    def for_change(self, change: ChangeRequest) -> Executor | None:
        return self.executor
