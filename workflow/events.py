"""Events: past-tense facts a decision produced, written to the audit log and the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    """Every kind of fact the audit log records, one event per fact (docs/workflow.md)."""

    PROPOSED = "proposed"
    REVISED = "revised"
    METADATA_EDITED = "metadata_edited"
    DRY_RUN_RECORDED = "dry_run_recorded"
    SUBMITTED = "submitted"
    RESPONSE = "response"
    WITHDRAWN = "withdrawn"
    COMMENT = "comment"
    STAGE_APPROVED = "stage_approved"
    APPROVED = "approved"
    APPROVALS_INVALIDATED = "approvals_invalidated"
    RETURNED_TO_REVIEW = "returned_to_review"
    SCHEDULED = "scheduled"
    APPLY_DUE = "apply_due"
    RESCHEDULE_NEEDED = "reschedule_needed"
    APPLY_WINDOW_MISSED = "apply_window_missed"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    EXPIRED = "expired"
    RETURNED_TO_DRAFT = "returned_to_draft"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    APPLY_STARTED = "apply_started"
    ABORT_REQUESTED = "abort_requested"
    APPLIED = "applied"
    FAILED = "failed"
    APPLY_UNKNOWN = "apply_unknown"
    RESOLVED = "resolved"
    POST_REVIEWED = "post_reviewed"
    POST_REVIEW_DUE = "post_review_due"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Event:
    """One fact about one change, with the context every audit row carries."""

    kind: EventKind
    change_id: str | None
    actor: str
    at: datetime
    revision: int | None = None
    digest: str | None = None
    policy_version: str | None = None
    since_proposal_s: float | None = None
    data: Mapping[str, object] = field(default_factory=dict)
