"""Commands: what an actor asks of a change request, from any path (Slack, API, scheduler)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.membership import Membership
from workflow.model import (
    SYSTEM_ACTOR,
    ApplyStatus,
    Content,
    DryRunRule,
    Metadata,
    WorkflowSnapshot,
)
from workflow.post_review import ReviewOutcome
from workflow.seen import Seen


@dataclass(frozen=True, slots=True)
class Create:
    """Propose a new change request as a draft; `copied_from` names the change and revision a
    copy was made from (workflow.rules_copy), recorded in its `proposed` event."""

    change_id: str
    actor: str
    content: Content
    metadata: Metadata
    idempotency_key: str | None = None
    request_hash: str | None = None
    copied_from: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace content (a new revision) and/or metadata (same revision); `revision`, when
    given, is the one the editor started from, so a newer one is never overwritten unseen."""

    change_id: str
    actor: str
    content: Content | None = None
    metadata: Metadata | None = None
    revision: int | None = None


@dataclass(frozen=True, slots=True)
class RecordDryRun:
    """Store the dry-run result of a revision; `revision` guards against late reports.

    `from_executor` marks output the bound executor produced; output typed in by a caller is
    accepted only from the requester or an author, since approvers judge the change by it.
    `accepts` is what the policy would accept for a draft, which has no workflow snapshot yet.
    `proposing` marks output that comes with the change's proposal: the change exists only once
    that transaction commits, so a refusal must not name it.
    """

    change_id: str
    actor: str
    output: str
    revision: int | None = None
    from_executor: bool = False
    accepts: DryRunRule = DryRunRule.EITHER
    proposing: bool = False


@dataclass(frozen=True, slots=True)
class Submit:
    """Send a draft for review under the workflow the policy selected; `proposing` marks a
    submission made with the proposal, in the transaction that creates the change."""

    change_id: str
    actor: str
    workflow: WorkflowSnapshot
    proposing: bool = False


@dataclass(frozen=True, slots=True)
class Approve:
    """Approve what the approver was shown (`seen`, never optional); `actor_groups` is the live
    membership at this moment."""

    change_id: str
    actor: str
    actor_groups: frozenset[str]
    seen: Seen
    comment: str = ""
    membership: Membership | None = None  # how actor_groups were found (None: as given)


@dataclass(frozen=True, slots=True)
class Reject:
    """Reject what the rejecter was shown; the comment is required."""

    change_id: str
    actor: str
    actor_groups: frozenset[str]
    seen: Seen
    comment: str
    membership: Membership | None = None  # how actor_groups were found (None: as given)


@dataclass(frozen=True, slots=True)
class AddComment:
    """A note that never counts as a response."""

    change_id: str
    actor: str
    text: str


@dataclass(frozen=True, slots=True)
class WithdrawApproval:
    """An approver takes back their approval before the apply starts, optionally saying why."""

    change_id: str
    actor: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class WithdrawRequest:
    """The requester cancels the change before the apply starts."""

    change_id: str
    actor: str


@dataclass(frozen=True, slots=True)
class StartApply:
    """Begin the one apply of the approved digest; `revision`, when given, is the one the
    person asking saw, and the apply is refused if the change moved on since."""

    change_id: str
    actor: str
    actor_groups: frozenset[str] = frozenset()
    revision: int | None = None
    membership: Membership | None = None  # how actor_groups were found (None: as given)


@dataclass(frozen=True, slots=True)
class RecordApplyOutcome:
    """What the executor reported for the apply identified by `key`; `reported` when it comes
    from outside (the API) rather than from ChangeGate's own executor, where a missing key
    means the running apply."""

    change_id: str
    actor: str
    key: str | None
    status: ApplyStatus
    output: str = ""
    actor_groups: frozenset[str] = frozenset()
    reported: bool = False
    membership: Membership | None = None  # how actor_groups were found (None: as given)


@dataclass(frozen=True, slots=True)
class RequestAbort:
    """An operator asks that the running apply be stopped; `cannot_abort` is why its executor
    cannot stop it (None when it can), found by the engine before deciding."""

    change_id: str
    actor: str
    actor_groups: frozenset[str]
    reason: str
    cannot_abort: str | None = None
    membership: Membership | None = None  # how actor_groups were found (None: as given)


@dataclass(frozen=True, slots=True)
class ResolveUnknown:
    """A person states what really happened to an apply whose outcome was unknown."""

    change_id: str
    actor: str
    actor_groups: frozenset[str]
    status: ApplyStatus
    note: str
    membership: Membership | None = None  # how actor_groups were found (None: as given)


@dataclass(frozen=True, slots=True)
class RecordPostReview:
    """The requester says how the change went once its apply ended; links point to evidence."""

    change_id: str
    actor: str
    outcome: ReviewOutcome
    note: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FireDeadline:
    """A timer says a deadline may be due; the decision re-checks every deadline against now."""

    change_id: str
    actor: str = SYSTEM_ACTOR


Command = (
    Create
    | Edit
    | RecordDryRun
    | Submit
    | Approve
    | Reject
    | AddComment
    | WithdrawApproval
    | WithdrawRequest
    | StartApply
    | RecordApplyOutcome
    | RequestAbort
    | ResolveUnknown
    | RecordPostReview
    | FireDeadline
)
