"""Hand-built aggregates and events for storage tests: every optional field filled in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from workflow.events import Event, EventKind
from workflow.model import (
    ApplyAttempt,
    ApplyStatus,
    ChangeRequest,
    Comment,
    Content,
    DryRun,
    Metadata,
    Requirement,
    Response,
    Revision,
    Risk,
    Stage,
    State,
    Verdict,
    WorkflowSnapshot,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REVIEW = WorkflowSnapshot(
    name="critical",
    stages=(
        Stage("Senior review", (Requirement("seniors", 2),)),
        Stage("Change Advisory Board", (Requirement("cab", 1), Requirement("security", 1))),
    ),
    policy_version="p1",
    channel="C0CAB",
)


def change(
    change_id: str = "CHG-1",
    requester: str = "req",
    *,
    state: State = State.PENDING_REVIEW,
    key: str | None = None,
    created_at: datetime = T0,
    expires_at: datetime | None = None,
    remind_at: datetime | None = None,
    apply_at: datetime | None = None,
) -> ChangeRequest:
    """A change in review with one live approval, a superseded one and a comment."""
    content = Content("bgp", "update", "edge-1", Risk.CRITICAL, "neighbor 192.0.2.1",
                      "no neighbor 192.0.2.1", T0 + timedelta(days=1))
    return ChangeRequest(
        id=change_id,
        requester=requester,
        metadata=Metadata("Peer with AS65001", "details", "CHG-3192", ("env=prod", "site=ams")),
        revisions=(Revision(1, content, requester, created_at),),
        created_at=created_at,
        state=state,
        version=3,
        dry_run=DryRun(1, "+ neighbor", "d" * 64, created_at, requester),
        responses=(
            Response("n1", 1, 0, Verdict.APPROVE, "", "d" * 64, frozenset({"seniors"}),
                     created_at + timedelta(minutes=1), "superseded",
                     created_at + timedelta(minutes=2)),
            Response("n1", 1, 0, Verdict.APPROVE, "looks right", "d" * 64,
                     frozenset({"seniors", "cab"}), created_at + timedelta(minutes=2)),
        ),
        comments=(Comment("x", 1, "during the freeze?", created_at + timedelta(minutes=3)),),
        workflow=REVIEW,
        submitted_at=created_at,
        expires_at=expires_at,
        remind_at=remind_at,
        apply_at=apply_at,
        idempotency_key=key,
    )


def applied(change_id: str = "CHG-1") -> ChangeRequest:
    """A change whose apply finished, to round-trip the apply attempt."""
    base = change(change_id, state=State.APPLIED)
    attempt = ApplyAttempt(f"{change_id}:1:{'d' * 64}", 1, "d" * 64, "req", T0, ApplyStatus.APPLIED,
                           "ok", T0 + timedelta(seconds=5), None)
    return replace(base, apply=attempt, approved_at=T0)


def event(change_id: str | None = "CHG-1", kind: EventKind = EventKind.COMMENT,
          actor: str = "x", at: datetime = T0, **data: object) -> Event:
    """One audit event."""
    return Event(kind, change_id, actor, at, 1, "d" * 64, "p1", 60.0, data)
