"""Columns and child rows derived from the aggregate, so queries never decode JSON to filter."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.reads import change_number
from workflow.codec import change_to_dict
from workflow.escalation import eligible_groups
from workflow.model import ChangeRequest, State
from workflow.progress import active_stage

Row = dict[str, Any]


def plain_json(value: Any) -> Any:
    """The value as it reads back from a JSON column (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value))


def current_stage(cr: ChangeRequest) -> int | None:
    """Index of the active stage while the change is in review."""
    if cr.workflow is None or cr.state is not State.PENDING_REVIEW:
        return None
    return active_stage(cr)


def change_row(cr: ChangeRequest, updated_at: datetime) -> Row:
    """The change_requests row of a change."""
    content = cr.content
    return {
        "id": cr.id,
        "number": change_number(cr.id),
        "requester": cr.requester,
        "state": cr.state.value,
        "version": cr.version,
        "revision": cr.revision,
        "family": content.family,
        "action": content.action,
        "target": content.target,
        "risk": content.risk.value,
        "active_stage": current_stage(cr),
        "created_at": cr.created_at,
        "updated_at": updated_at,
        "expires_at": cr.expires_at,
        "remind_at": cr.remind_at,
        "apply_at": cr.apply_at,
        "next_deadline": cr.next_deadline,
        "idempotency_key": cr.idempotency_key,
        "request_hash": cr.request_hash,
        "data": change_to_dict(cr),
    }


def response_rows(cr: ChangeRequest) -> list[Row]:
    """One row per response, the requester copied in for the database's four-eyes CHECK."""
    return [
        {
            "change_id": cr.id,
            "position": position,
            "revision": r.revision,
            "stage": r.stage,
            "person": r.person,
            "requester": cr.requester,
            "verdict": r.verdict.value,
            "comment": r.comment,
            "digest": r.digest,
            "groups": sorted(r.groups),
            "at": r.at,
            "ended": r.ended,
            "ended_at": r.ended_at,
        }
        for position, r in enumerate(cr.responses)
    ]


def review_group_rows(cr: ChangeRequest) -> list[Row]:
    """Groups whose members may respond now (escalation included); none unless pending review."""
    index = current_stage(cr)
    if index is None:
        return []
    return [{"change_id": cr.id, "group_name": g} for g in sorted(eligible_groups(cr, index))]


def author_rows(cr: ChangeRequest) -> list[Row]:
    """The people four eyes bars from reviewing the change."""
    return [{"change_id": cr.id, "person": p} for p in sorted(cr.authors)]


def people_rows(cr: ChangeRequest) -> list[Row]:
    """Everyone who took part: the requester, authors, responders and commenters."""
    return [{"change_id": cr.id, "person": p} for p in sorted(cr.people)]
