"""Words and marks for states and risks, shared by cards, App Home and notices."""

from __future__ import annotations

from workflow.model import Risk, State

STATE_LABELS: dict[State, tuple[str, str]] = {
    State.DRAFT: (":memo:", "Draft"),
    State.PENDING_REVIEW: (":hourglass_flowing_sand:", "Pending review"),
    State.APPROVED: (":white_check_mark:", "Approved"),
    State.SCHEDULED: (":calendar:", "Scheduled"),
    State.EXECUTING: (":gear:", "Applying"),
    State.APPLIED: (":white_check_mark:", "Applied"),
    State.FAILED: (":x:", "Apply failed"),
    State.APPLY_UNKNOWN: (":warning:", "Apply outcome unknown"),
    State.REJECTED: (":no_entry:", "Rejected"),
    State.CANCELLED: (":leftwards_arrow_with_hook:", "Withdrawn"),
    State.EXPIRED: (":hourglass:", "Expired"),
}

RISK_MARKS: dict[Risk, str] = {
    Risk.LOW: ":large_green_circle:",
    Risk.MEDIUM: ":large_yellow_circle:",
    Risk.HIGH: ":large_orange_circle:",
    Risk.CRITICAL: ":red_circle:",
}

CONFIRMED_RISKS = frozenset({Risk.HIGH, Risk.CRITICAL})


def state_label(state: State) -> str:
    """State with its mark, e.g. ":no_entry: Rejected"."""
    mark, label = STATE_LABELS[state]
    return f"{mark} {label}"


def risk_label(risk: Risk) -> str:
    """Risk with its colour mark."""
    return f"{RISK_MARKS[risk]} {risk.value}"
