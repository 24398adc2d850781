"""How a command is run: admitted, written with whatever else is waiting, retried on version
conflicts, and its refusal audited (the one place refusals of the write path are audited)."""

from __future__ import annotations

from collections.abc import Callable

from workflow.admission import Admission
from workflow.commands import Command
from workflow.errors import Busy, ChangeNotFound, ConcurrencyConflict, WorkflowError
from workflow.events import Event, EventKind
from workflow.gesture import Gesture
from workflow.group_commit import GroupCommit
from workflow.model import ChangeRequest
from workflow.outcome import Decision, event
from workflow.ports import Clock, UnitOfWorkFactory
from workflow.writer import (
    NO_FOLLOWERS,
    Build,
    CommitObserver,
    Followers,
    PolicyVersion,
    Writer,
    versioned,
)


class CommandRunner:
    """Every command goes through one `Writer`: on an existing change it shares the transaction
    of the commands arriving at the same moment, a new change is written alone."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, max_attempts: int = 8,
                 admission: Admission | None = None,
                 policy_version: PolicyVersion = lambda: None,
                 followers: Callable[[], Followers] = lambda: NO_FOLLOWERS) -> None:
        self._uow = uow
        self._clock = clock
        self._max_attempts = max_attempts
        self.admission = admission or Admission()
        self._policy_version = policy_version
        self._writer = Writer(uow, clock.now, policy_version, followers)
        self._group = GroupCommit(self._writer.write, self._attempts)

    def on_commit(self, observer: CommitObserver) -> None:
        """Tell `observer` the changes of every commit, once per transaction."""
        self._writer.on_commit(observer)

    async def run(
        self, change_id: str | None, actor: str, build: Build, audit_refusal: bool = True,
        gesture: Gesture | None = None,
    ) -> Decision:
        """Read, decide every built command, compare-and-set, audit, outbox, commit; the key of
        `gesture` (the gesture decided) is recorded in the same commit."""
        async with self.admission.admitted(change_id):
            try:
                if change_id is None:
                    return await self._attempts(None, build, gesture)
                return await self._group.run(change_id, build, gesture)
            except WorkflowError as refusal:
                if audit_refusal:
                    await self.audit_refusal(change_id, actor, refusal)
                raise

    async def run_one(self, command: Command, audit_refusal: bool = True,
                      gesture: Gesture | None = None) -> Decision:
        """Decide one command in one unit of work, retrying on version conflicts."""
        return await self.run(command.change_id, command.actor, lambda _cr, _id: [command],
                              audit_refusal, gesture)

    async def get(self, change_id: str) -> ChangeRequest | None:
        """Read one change outside any command."""
        async with self._uow() as uow:
            return await uow.changes.get(change_id)

    async def require(self, change_id: str) -> ChangeRequest:
        """Read a change or refuse with not found."""
        cr = await self.get(change_id)
        if cr is None:
            raise ChangeNotFound(f"{change_id} does not exist")
        return cr

    async def _attempts(self, change_id: str | None, build: Build,
                        gesture: Gesture | None = None) -> Decision:
        """A group of one, written again from a fresh read while versions conflict."""
        for _ in range(self._max_attempts):
            try:
                [outcome] = await self._writer.write([(change_id, build, gesture)])
            except ConcurrencyConflict:
                continue
            if isinstance(outcome, Exception):
                raise outcome
            return told(outcome)
        raise Busy(f"{change_id or 'the change'} is being changed by others: try again")

    async def audit_refusal(
        self, change_id: str | None, actor: str, refusal: WorkflowError
    ) -> None:
        """Refusals are audit events too, in their own transaction, except harmless repeats."""
        if not refusal.audited:
            return
        now = self._clock.now()
        data = {"reason": refusal.reason, "message": refusal.message}
        async with self._uow() as uow:
            cr = await uow.changes.get(change_id) if change_id else None
            refused = (
                event(cr, EventKind.REFUSED, actor, now, **data) if cr
                else Event(EventKind.REFUSED, None, actor, now, data=data)
            )
            await uow.audit.append(versioned([refused], self._policy_version()))
            await uow.commit()


def told(decision: Decision) -> Decision:
    """A committed decision, or the refusal it carries (its deadline's effect is saved)."""
    if decision.refusal is not None:
        raise decision.refusal
    return decision
