"""The apply side of the engine: dry-runs through the bound executor, the one apply gate, the
executor's run once its start is committed, and the applies a dead process left behind."""

from __future__ import annotations

from workflow.abort import watching
from workflow.apply_hold import ApplyHold
from workflow.commands import Command, RecordApplyOutcome, RecordDryRun
from workflow.errors import (
    DigestChanged,
    DryRunFailed,
    DryRunNotAccepted,
    DryRunStale,
    NoExecutor,
    WorkflowError,
)
from workflow.events import EventKind
from workflow.model import SYSTEM_ACTOR, ApplyStatus, ChangeRequest, DryRunRule, DryRunSource
from workflow.outcome import Decision
from workflow.ports import ApplyResult, Executor, ExecutorRegistry, UnitOfWorkFactory
from workflow.rules_dry_run import report_output, source_refusal
from workflow.runner import CommandRunner


class ApplyGate:
    """Runs executors around committed decisions; every decision goes through the runner."""

    def __init__(self, uow: UnitOfWorkFactory, runner: CommandRunner,
                 executors: ExecutorRegistry | None) -> None:
        self._uow = uow
        self._runner = runner
        self._executors = executors
        self._hold = ApplyHold(uow)

    def executor_for(self, cr: ChangeRequest) -> Executor | None:
        """The executor bound to the change's family, if any."""
        return self._executors.for_change(cr) if self._executors else None

    async def run_dry_run(self, change_id: str, actor: str,
                          accepts: DryRunRule = DryRunRule.EITHER) -> Decision:
        """Dry-run through the executor, pinned to the revision it ran on. `accepts` is what
        the workflow that would review a draft takes (a submitted change keeps its own): output
        it would refuse is refused before the executor runs."""
        current = await self._runner.require(change_id)
        executor = self.executor_for(current)
        if executor is None:
            raise NoExecutor(
                f"{change_id} has no executor bound to family {current.content.family}: "
                f"report its dry-run output instead ({report_output(change_id)})"
            )
        rule = current.workflow.dry_run if current.workflow else accepts
        refusal = source_refusal(current, rule, DryRunSource.EXECUTOR)
        if refusal is not None:
            refused = DryRunNotAccepted(refusal)
            await self._runner.audit_refusal(change_id, actor, refused)
            raise refused
        try:
            output = await executor.dry_run(current)
        except Exception as exc:  # any executor failure: nothing recorded, the caller is told
            failed = DryRunFailed(f"the dry-run of {change_id} failed: {exc}")
            await self._runner.audit_refusal(change_id, actor, failed)
            raise failed from exc
        command = RecordDryRun(change_id, actor, output, current.revision, from_executor=True,
                               accepts=accepts)
        return await self._runner.run_one(command)

    async def recover_interrupted(self) -> list[str]:
        """An apply no live process holds any more (its process died, or gave it up) has an
        unknown outcome: never re-apply it. Applies another replica is running are left alone."""
        async with self._uow() as uow:
            ids = list(await uow.changes.abandoned_applies())
        recovered: list[str] = []
        for change_id in ids:
            cr = await self._runner.require(change_id)
            if cr.apply is None or self._reported_from_outside(cr):
                continue
            command = RecordApplyOutcome(
                change_id, SYSTEM_ACTOR, cr.apply.key, ApplyStatus.UNKNOWN,
                "the process stopped before the executor's outcome was recorded",
            )
            try:
                await self._runner.run_one(command)
            except WorkflowError:
                continue
            recovered.append(change_id)
        return recovered

    def _reported_from_outside(self, cr: ChangeRequest) -> bool:
        """An outside pipeline runs this apply and reports it; a restart here changes nothing."""
        return self.executor_for(cr) is None

    async def through(self, change_id: str, actor: str, command: Command) -> ChangeRequest:
        """Start the apply; a stale dry-run is re-run first and a changed digest stops it."""
        try:
            decision = await self._runner.run_one(command, audit_refusal=False)
        except (DryRunStale, DryRunNotAccepted) as stale:
            try:
                rerun = await self.run_dry_run(change_id, SYSTEM_ACTOR)
            except NoExecutor:
                await self._runner.audit_refusal(command.change_id, command.actor, stale)
                raise DryRunStale(f"{stale.message}; record a fresh dry-run, then apply") from None
            if any(e.kind is EventKind.APPROVALS_INVALIDATED for e in rerun.events):
                if actor == SYSTEM_ACTOR:
                    return rerun.change
                raise DigestChanged(
                    f"the dry-run of {change_id} was re-run and its output changed: approvals "
                    "were invalidated and it is back in review"
                ) from None
            decision = await self._runner.run_one(command)
        except WorkflowError as refusal:
            await self._runner.audit_refusal(command.change_id, command.actor, refusal)
            raise
        return await self.follow_up(decision)

    async def follow_up(self, decision: Decision) -> ChangeRequest:
        """Run the apply a committed decision started. An apply that only became due is left to
        the deadline timers, which hear of every commit, so no request waits on an executor."""
        if any(e.kind is EventKind.APPLY_STARTED for e in decision.events):
            return await self._execute(decision.change)
        return decision.change

    async def _execute(self, cr: ChangeRequest) -> ChangeRequest:
        """Call the executor after the start is committed, holding the apply meanwhile; record
        the outcome afterwards. If it is not recorded here, the hold is given up."""
        assert cr.apply is not None
        executor = self.executor_for(cr)
        if executor is None:
            return cr
        key = cr.apply.key
        recorded = False
        try:
            async with self._hold.held(cr.id, key), watching(executor, key,
                                                              lambda: self._runner.get(cr.id)):
                try:
                    result = await executor.apply(cr, key)
                except Exception as exc:
                    result = ApplyResult(ApplyStatus.UNKNOWN, f"executor error: {exc}")
            if result is None:
                return cr
            command = RecordApplyOutcome(cr.id, SYSTEM_ACTOR, key, result.status, result.output)
            done = await self.follow_up(await self._runner.run_one(command))
            recorded = True
            return done
        finally:
            if not recorded:
                await self._hold.release(cr.id, key)
