"""Shared pieces of the state machine: the decision value, event building and state guards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from workflow.errors import WorkflowError, WrongState
from workflow.events import Event, EventKind
from workflow.model import ChangeRequest, State


@dataclass(frozen=True, slots=True)
class Decision:
    """The change after a command and the events it produced; no events means nothing changed.

    A `refusal` with events: the command was refused, but what a passed deadline did to the
    change (it timed out) is still saved before the refusal is told.
    """

    change: ChangeRequest
    events: tuple[Event, ...]
    refusal: WorkflowError | None = None

    @property
    def changed(self) -> bool:
        """Whether anything must be saved."""
        return bool(self.events)


def event(
    cr: ChangeRequest, kind: EventKind, actor: str, now: datetime, **data: object
) -> Event:
    """An event about `cr` carrying revision, digest, policy version and time since proposal."""
    return Event(
        kind=kind,
        change_id=cr.id,
        actor=actor,
        at=now,
        revision=cr.revision,
        digest=cr.dry_run.digest if cr.dry_run else None,
        policy_version=cr.workflow.policy_version if cr.workflow else None,
        since_proposal_s=(now - cr.created_at).total_seconds(),
        data=data,
    )


def describe_state(cr: ChangeRequest) -> str:
    """A phrase saying where the change stands, for refusal messages."""
    if cr.state is State.DRAFT:
        return f"{cr.id} is a draft: submit it first"
    if cr.state is State.PENDING_REVIEW:
        return f"{cr.id} is pending review"
    if cr.state is State.SCHEDULED and cr.apply_at is not None:
        return f"{cr.id} is approved and scheduled for {cr.apply_at:%Y-%m-%d %H:%M} UTC"
    if cr.state is State.EXECUTING:
        return f"{cr.id} is being applied"
    if cr.state is State.APPLY_UNKNOWN:
        return f"{cr.id} has an apply whose outcome is unknown: mark it applied or failed"
    return f"{cr.id} is already {cr.state.value.replace('_', ' ')}"


def require_state(cr: ChangeRequest, allowed: Iterable[State], doing: str) -> None:
    """Refuse with the current state unless it is one of `allowed`."""
    if cr.state not in frozenset(allowed):
        raise WrongState(f"cannot {doing}: {describe_state(cr)}")

