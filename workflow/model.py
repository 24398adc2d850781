"""Domain model of a change request: frozen values the pure state machine reads and returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from workflow.executor_spec import ExecutorSpec
from workflow.post_review import PostReview


class State(StrEnum):
    """Lifecycle states of a change request (docs/workflow.md, States)."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    EXECUTING = "executing"
    APPLIED = "applied"
    FAILED = "failed"
    APPLY_UNKNOWN = "apply_unknown"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


TERMINAL_STATES = frozenset(
    {
        State.APPLIED,
        State.FAILED,
        State.APPLY_UNKNOWN,
        State.REJECTED,
        State.CANCELLED,
        State.EXPIRED,
    }
)
REVISABLE_TERMINAL_STATES = frozenset({State.REJECTED, State.CANCELLED, State.EXPIRED})
BEFORE_EXECUTING = frozenset(
    {State.DRAFT, State.PENDING_REVIEW, State.APPROVED, State.SCHEDULED}
)


class Risk(StrEnum):
    """Risk level proposed by the requester; policies usually match on it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Verdict(StrEnum):
    """What a response says."""

    APPROVE = "approve"
    REJECT = "reject"


class OnTimeout(StrEnum):
    """Where a change request goes when its approval timeout passes."""

    EXPIRE = "expire"
    DRAFT = "draft"


class ApplyMode(StrEnum):
    """Whether an approved change applies by itself or waits for a person."""

    MANUAL = "manual"
    AUTO = "auto"


class ApplyStatus(StrEnum):
    """Outcome of an apply as reported by an executor or a person."""

    APPLIED = "applied"
    FAILED = "failed"
    UNKNOWN = "unknown"


class DryRunSource(StrEnum):
    """Who produced a dry-run: the bound executor, or a person or pipeline reporting its output."""

    EXECUTOR = "executor"
    REPORTED = "reported"


class DryRunRule(StrEnum):
    """Which dry-run sources a workflow accepts for approval and apply."""

    EXECUTOR = "executor"
    REPORTED = "reported"
    EITHER = "either"

    def allows(self, source: DryRunSource) -> bool:
        """Whether a dry-run of `source` may be approved and applied under this rule."""
        return self is DryRunRule.EITHER or self.value == source.value


class MetadataEdits(StrEnum):
    """What a title or description edit does to the approvals a change already has."""

    RESET = "reset"
    KEEP = "keep"


class Notify(StrEnum):
    """Where the approvers of an opening stage are told: the card's channel, their DMs, or both."""

    CHANNEL = "channel"
    DM = "dm"
    BOTH = "both"


OWN_EXECUTOR_KINDS = frozenset({"webhook", "command"})
SYSTEM_ACTOR = "system"


@dataclass(frozen=True, slots=True)
class Content:
    """The fields that define what is changed; editing any of them makes a new revision."""

    family: str
    action: str
    target: str
    risk: Risk
    payload: str
    rollback_plan: str = ""
    scheduled_for: datetime | None = None


@dataclass(frozen=True, slots=True)
class Metadata:
    """Descriptive fields; editing them keeps the revision."""

    title: str
    description: str = ""
    ticket: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MetadataEdit:
    """The latest edit of a change's metadata, kept so the card shows it old→new."""

    actor: str
    at: datetime
    before: Metadata
    after: Metadata
    approvals_reset: bool = False  # the edit ended the approvals the change had


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of a change's content and who wrote it."""

    number: int
    content: Content
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DryRun:
    """The current dry-run result of a revision; approvals are bound to its digest."""

    revision: int
    output: str
    digest: str
    taken_at: datetime
    producer: str
    source: DryRunSource = DryRunSource.REPORTED
    outputs: int = 1  # how many times this revision's dry-run output changed, plus one

    def age(self, now: datetime) -> timedelta:
        """How old the result is at `now`."""
        return now - self.taken_at

    def is_fresh(self, now: datetime, ttl: timedelta) -> bool:
        """Fresh while its age is at most the ttl; the boundary itself is fresh."""
        return self.age(now) <= ttl


@dataclass(frozen=True, slots=True)
class Response:
    """A person's approve or reject on one revision, with the groups that made them eligible."""

    person: str
    revision: int
    stage: int
    verdict: Verdict
    comment: str
    digest: str
    groups: frozenset[str]
    at: datetime
    ended: str | None = None  # withdrawn | superseded | invalidated | expired
    ended_at: datetime | None = None
    stand_in: bool = False  # given through escalation: may fill any requirement of its stage
    ended_note: str = ""  # what its author said when ending it (a withdrawal's comment)

    @property
    def live(self) -> bool:
        """A response counts only while it has not been withdrawn, replaced or invalidated."""
        return self.ended is None

    def end(self, reason: str, at: datetime, note: str = "") -> Response:
        """Close the response, keeping it in history."""
        return replace(self, ended=reason, ended_at=at, ended_note=note)


@dataclass(frozen=True, slots=True)
class Comment:
    """A note on a change; it never counts as a response."""

    person: str
    revision: int
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Requirement:
    """`count` distinct members of `group` must approve."""

    group: str
    count: int


@dataclass(frozen=True, slots=True)
class Stage:
    """Requirements that must all be met before the next stage opens."""

    name: str
    requirements: tuple[Requirement, ...]
    denial_message: str = ""  # told to the requester when this stage rejects the change

    @property
    def groups(self) -> frozenset[str]:
        """Every group whose members may respond while this stage is active."""
        return frozenset(r.group for r in self.requirements)


@dataclass(frozen=True, slots=True)
class Timing:
    """What `defaults:` sets for every workflow: freshness, timeouts, reminders, late applies,
    and whether a metadata edit keeps approvals."""

    dry_run_ttl: timedelta = timedelta(minutes=30)
    approval_timeout: timedelta = timedelta(hours=72)
    on_timeout: OnTimeout = OnTimeout.EXPIRE
    reminder_after: timedelta | None = timedelta(hours=4)
    late_apply_grace: timedelta = timedelta(minutes=15)
    post_review_due: timedelta | None = None  # a review is required this long after the apply
    metadata_edits: MetadataEdits = MetadataEdits.RESET  # approvals before a retitle: reset?


@dataclass(frozen=True, slots=True)
class GroupDef:
    """An approver group: listed members, or a Slack user group whose members are looked up live;
    a change keeps the definitions its workflow names from its submission on."""

    name: str
    members: frozenset[str] | None = None
    slack_usergroup: str | None = None

    def __post_init__(self) -> None:
        if (self.members is None) == (self.slack_usergroup is None):
            raise ValueError(f"group {self.name} needs exactly one of members or slack_usergroup")


@dataclass(frozen=True, slots=True)
class Escalation:
    """After `after_reminders` reminders of one stage, members of `group` may approve it too."""

    group: str
    after_reminders: int


@dataclass(frozen=True, slots=True)
class WorkflowSnapshot:
    """The workflow definition copied into a change at submit; later policy edits never touch it."""

    name: str
    stages: tuple[Stage, ...]
    timing: Timing = field(default_factory=Timing)
    policy_version: str = ""
    channel: str | None = None
    apply_mode: ApplyMode = ApplyMode.MANUAL
    executor: str | None = None  # name of the executor the policy bound to the family at submit
    escalation: Escalation | None = None
    executor_kind: str | None = None  # webhook | command | external; "unknown" in older rows
    dry_run: DryRunRule = DryRunRule.EITHER  # which dry-run sources approvals and applies accept
    notify: Notify | None = None  # None: both where the cards have a channel, else DMs
    group_definitions: tuple[GroupDef, ...] = ()  # of every group named; () in older rows
    executor_spec: ExecutorSpec | None = None  # the executor itself, kind and settings

    def notifies(self, channel: str | None) -> Notify:
        """How approvers are told when the cards go to `channel` (None: to no channel)."""
        if self.notify is not None:
            return self.notify
        return Notify.BOTH if channel else Notify.DM

    @property
    def runs_own_executor(self) -> bool:
        """ChangeGate's own executor applies the change, so nobody else reports its outcome."""
        return self.executor is not None and self.executor_kind != "external"

    @property
    def groups(self) -> frozenset[str]:
        """Every group named by any stage."""
        return frozenset(g for stage in self.stages for g in stage.groups)

    def kept_groups(self) -> frozenset[str]:
        """Every group this snapshot names (stages and escalation), whose definition it keeps."""
        named = set(self.groups)
        if self.escalation is not None:
            named.add(self.escalation.group)
        return frozenset(named)


@dataclass(frozen=True, slots=True)
class ApplyAttempt:
    """The one apply started for a revision and digest, and how it ended."""

    key: str
    revision: int
    digest: str
    started_by: str
    started_at: datetime
    status: ApplyStatus | None = None
    output: str = ""
    finished_at: datetime | None = None
    resolved_by: str | None = None
    abort_requested_by: str | None = None
    abort_reason: str = ""
    aborted: bool = False  # it failed after an abort was asked for


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """The aggregate: one change request with its revisions, dry-run, responses and timers."""

    id: str
    requester: str
    metadata: Metadata
    revisions: tuple[Revision, ...]
    created_at: datetime
    state: State = State.DRAFT
    version: int = 1
    dry_run: DryRun | None = None  # always of the current revision: a new revision clears it
    responses: tuple[Response, ...] = ()
    comments: tuple[Comment, ...] = ()
    workflow: WorkflowSnapshot | None = None
    submitted_at: datetime | None = None
    expires_at: datetime | None = None
    remind_at: datetime | None = None
    reminders_sent: int = 0
    approved_at: datetime | None = None
    apply_at: datetime | None = None  # when the system starts the apply (schedule, auto, grace)
    apply: ApplyAttempt | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None  # of the create request, compared when its key is reused
    reminded_stages: tuple[int, ...] = ()  # the active stage of each reminder of this review
    post_review: PostReview | None = None  # the requester's review once the apply ended
    metadata_edit: MetadataEdit | None = None  # the latest edit of title, description, ...

    def reminders_of(self, stage: int) -> int:
        """How many reminders were sent while `stage` was the active stage of this review."""
        return self.reminded_stages.count(stage)

    @property
    def revision(self) -> int:
        """Number of the current revision."""
        return self.revisions[-1].number

    @property
    def content(self) -> Content:
        """Content of the current revision."""
        return self.revisions[-1].content

    @property
    def authors(self) -> frozenset[str]:
        """The requester and every author of any revision: none of them may review it."""
        return frozenset({self.requester, *(r.author for r in self.revisions)})

    @property
    def people(self) -> frozenset[str]:
        """Everyone who took part: the requester, authors, responders and commenters."""
        return (self.authors | {r.person for r in self.responses}
                | {c.person for c in self.comments})

    @property
    def is_terminal(self) -> bool:
        """Terminal states absorb every action but a new revision."""
        return self.state in TERMINAL_STATES

    @property
    def next_deadline(self) -> datetime | None:
        """The earliest of the change's deadlines (expiry, reminder, apply): what a timer
        waits for, and the one indexed column that answers "what is due"."""
        times = [t for t in (self.expires_at, self.remind_at, self.apply_at) if t is not None]
        return min(times) if times else None

    def live_responses(self) -> tuple[Response, ...]:
        """Responses on the current revision that still count."""
        return tuple(r for r in self.responses if r.live and r.revision == self.revision)

    def live_response_of(self, person: str) -> Response | None:
        """The person's counting response on the current revision, if any."""
        for r in self.live_responses():
            if r.person == person:
                return r
        return None

    def apply_key(self) -> str:
        """Idempotency key of the apply of the current revision and digest."""
        digest = self.dry_run.digest if self.dry_run else ""
        return f"{self.id}:{self.revision}:{digest}"
