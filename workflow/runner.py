"""The unit-of-work loop every command goes through: read, decide, compare-and-set, commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from workflow.admission import Admission
from workflow.codec import event_to_dict
from workflow.commands import Command
from workflow.decide import decide
from workflow.decision import Decision, event
from workflow.errors import Busy, ConcurrencyConflict, WorkflowError
from workflow.events import Event, EventKind
from workflow.group_commit import Build, GroupCommit
from workflow.model import ChangeRequest
from workflow.ports import Clock, OutboxMessage, UnitOfWorkFactory


class CommandRunner:
    """One transaction per command with bounded retries on version conflicts; refusals audited."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, max_attempts: int = 8,
                 admission: Admission | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._max_attempts = max_attempts
        self.admission = admission or Admission()
        self._group = GroupCommit(uow, clock.now, decide_all, outbox_messages, self._alone)

    async def run(
        self, change_id: str | None, actor: str, build: Build, audit_refusal: bool = True
    ) -> Decision:
        """Read, decide every built command, compare-and-set, audit, outbox, commit: a command
        on an existing change shares its transaction with those arriving at the same moment."""
        async with self.admission.admitted(change_id):
            if change_id is None:
                return await self._attempts(change_id, actor, build, audit_refusal)
            try:
                return await self._group.run(change_id, build)
            except WorkflowError as refusal:
                if audit_refusal:
                    await self.audit_refusal(change_id, actor, refusal)
                raise

    async def _alone(self, change_id: str, build: Build) -> Decision:
        return await self._attempts(change_id, "", build, audit_refusal=False)

    async def _attempts(
        self, change_id: str | None, actor: str, build: Build, audit_refusal: bool
    ) -> Decision:
        for _ in range(self._max_attempts):
            now = self._clock.now()
            try:
                async with self._uow() as uow:
                    before = await uow.changes.get(change_id) if change_id else None
                    new_id = change_id or await uow.changes.next_id()
                    decision = decide_all(before, build(before, new_id), now)
                    if not decision.changed:
                        return decision
                    if before is None:
                        await uow.changes.add(decision.change)
                    else:
                        await uow.changes.update(decision.change, before.version)
                    await uow.audit.append(decision.events)
                    await uow.outbox.put(outbox_messages(decision.events))
                    await uow.commit()
                    return told(decision)
            except ConcurrencyConflict:
                continue
            except WorkflowError as refusal:
                if audit_refusal:
                    await self.audit_refusal(change_id, actor, refusal)
                raise
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
            await uow.audit.append([refused])
            await uow.commit()


def told(decision: Decision) -> Decision:
    """A committed decision, or the refusal it carries (its deadline's effect is saved)."""
    if decision.refusal is not None:
        raise decision.refusal
    return decision


def decide_all(
    before: ChangeRequest | None, commands: Sequence[Command], now: datetime
) -> Decision:
    """Fold several commands on one change into one decision (one transaction); a refusal that
    comes with a passed deadline's events ends the fold, keeping those events."""
    cr = before
    events: list[Event] = []
    for command in commands:
        decision = decide(cr, command, now)
        cr = decision.change
        events.extend(decision.events)
        if decision.refusal is not None:
            return Decision(cr, tuple(events), decision.refusal)
    assert cr is not None
    return Decision(cr, tuple(events))


def outbox_messages(events: Sequence[Event]) -> list[OutboxMessage]:
    """Every event on a change is delivered after commit (cards re-render, people are told)."""
    return [OutboxMessage("change.event", e.change_id, event_to_dict(e)) for e in events]
