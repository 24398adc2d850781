"""The review summary a change advisory board reads, folded from audit records."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from workflow.durations import format_duration
from workflow.post_review import ReviewOutcome


def summarize(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts by review outcome (each change's latest review), applies, the median time from
    proposal to approval, and refusals by reason."""
    latest: dict[str, str] = {}
    approvals: list[float] = []
    refusals: Counter[str] = Counter()
    ended: Counter[str] = Counter()
    for record in records:
        kind, data = record.get("kind"), record.get("data") or {}
        if kind == "post_reviewed":
            latest[str(record.get("change_id"))] = str(data.get("outcome"))
        elif kind == "approved" and isinstance(record.get("since_proposal_s"), int | float):
            approvals.append(float(record["since_proposal_s"]))
        elif kind == "refused":
            refusals[str(data.get("reason") or "refused")] += 1
        elif kind in ("applied", "failed"):
            ended[str(kind)] += 1
    outcomes = Counter(latest.values())
    return {
        "reviews": {o.value: outcomes[o.value] for o in ReviewOutcome},
        "applied": ended["applied"], "failed": ended["failed"], "approvals": len(approvals),
        "median_time_to_approve_s": statistics.median(approvals) if approvals else None,
        "refusals": dict(sorted(refusals.items(), key=lambda item: (-item[1], item[0]))),
    }


def report_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as text for people."""
    reviews: Mapping[str, int] = summary["reviews"]
    lines = [f"Post-implementation reviews: {sum(reviews.values())}"]
    lines += [f"  {outcome:<24}{count}" for outcome, count in reviews.items()]
    lines.append(f"Applies: {summary['applied']} applied, {summary['failed']} failed")
    median = summary["median_time_to_approve_s"]
    lines.append("Median time to approve: " + (
        "no approvals" if median is None else
        f"{format_duration(timedelta(seconds=median))} ({summary['approvals']} approvals)"))
    refusals: Mapping[str, int] = summary["refusals"]
    lines.append(f"Refusals: {sum(refusals.values())}")
    lines += [f"  {reason:<24}{count}" for reason, count in refusals.items()]
    return lines
