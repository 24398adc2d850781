"""The post-implementation review: what the requester says the change did once its apply ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ReviewOutcome(StrEnum):
    """How the change went, as the requester judges it afterwards."""

    SUCCESSFUL = "successful"
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PostReview:
    """The current post-implementation review; a new one replaces it (the audit keeps each)."""

    outcome: ReviewOutcome
    note: str
    links: tuple[str, ...]
    by: str
    at: datetime


def post_review_to_dict(review: PostReview | None) -> dict[str, Any] | None:
    """The review as JSON, for the stored change and the API."""
    if review is None:
        return None
    return {"outcome": review.outcome.value, "note": review.note, "links": list(review.links),
            "by": review.by, "at": review.at.isoformat()}


def post_review_from_dict(d: dict[str, Any] | None) -> PostReview | None:
    """Inverse of post_review_to_dict; rows stored before reviews existed have none."""
    if d is None:
        return None
    return PostReview(ReviewOutcome(d["outcome"]), d["note"], tuple(d["links"]), d["by"],
                      datetime.fromisoformat(d["at"]))
