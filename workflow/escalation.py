"""Escalation: a stage reminded often enough without an outcome opens to a wider group."""

from __future__ import annotations

from workflow.model import ChangeRequest


def is_escalated(cr: ChangeRequest, stage: int) -> bool:
    """Whether stage `stage` has had the workflow's `escalate_after` reminders in this review."""
    escalation = cr.workflow.escalation if cr.workflow else None
    return escalation is not None and cr.reminders_of(stage) >= escalation.after_reminders


def escalation_group(cr: ChangeRequest, stage: int) -> str | None:
    """The group whose members may stand in on `stage`, once it is escalated."""
    if cr.workflow is None or cr.workflow.escalation is None or not is_escalated(cr, stage):
        return None
    return cr.workflow.escalation.group


def eligible_groups(cr: ChangeRequest, stage: int) -> frozenset[str]:
    """Groups whose members may respond on `stage`: its own, plus the escalation group."""
    assert cr.workflow is not None
    groups = cr.workflow.stages[stage].groups
    extra = escalation_group(cr, stage)
    return groups | {extra} if extra else groups


def stands_in(cr: ChangeRequest, stage: int, actor_groups: frozenset[str]) -> bool:
    """Whether the actor responds on `stage` as a member of its escalation group."""
    extra = escalation_group(cr, stage)
    return extra is not None and extra in actor_groups
