"""Escalation in the pure state machine: the N-th reminder of a stage opens it to another group."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from tests.support.builders import (
    CAB,
    SENIORS,
    T0,
    approved_by,
    minutes,
    one_stage,
    pending,
    two_stage,
)
from workflow.codec import change_from_dict, change_to_dict
from workflow.commands import Approve, Edit, FireDeadline, RecordDryRun, Reject
from workflow.decide import decide
from workflow.errors import AlreadyApprovedStage, NotEligible, SelfApproval, StageNotOpen
from workflow.escalation import eligible_groups, is_escalated
from workflow.events import EventKind
from workflow.model import ChangeRequest, Escalation, State, WorkflowSnapshot
from workflow.progress import active_stage, stage_progress
from workflow.seen import Seen

MANAGERS = "managers"
HOURS = 60.0


def escalating(workflow: WorkflowSnapshot, after: int = 2) -> WorkflowSnapshot:
    return replace(workflow, escalation=Escalation(MANAGERS, after))


def fire(cr: ChangeRequest, at: datetime) -> tuple[ChangeRequest, list[EventKind]]:
    decision = decide(cr, FireDeadline(cr.id), at)
    return decision.change, [e.kind for e in decision.events]


def refresh(cr: ChangeRequest, at: datetime) -> ChangeRequest:
    """Re-run the dry-run with the same output, so approvals are judged on a fresh result."""
    return decide(cr, RecordDryRun(cr.id, "req", "diff v1"), at).change


def test_the_nth_reminder_of_a_stage_escalates_it() -> None:
    cr = pending(escalating(one_stage()))
    cr, kinds = fire(cr, T0 + minutes(4 * HOURS))
    assert kinds == [EventKind.REMINDED]
    assert not is_escalated(cr, 0)
    decision = decide(cr, FireDeadline(cr.id), T0 + minutes(8 * HOURS))
    assert [e.kind for e in decision.events] == [EventKind.REMINDED, EventKind.ESCALATED]
    escalated = decision.events[1]
    assert escalated.data["group"] == MANAGERS
    assert escalated.data["stage"] == 1
    assert escalated.data["reminders"] == 2
    assert decision.events[0].data["groups"] == [SENIORS]  # the stage's own approvers are nudged
    cr = decision.change
    assert is_escalated(cr, 0)
    assert eligible_groups(cr, 0) == {SENIORS, MANAGERS}
    cr, kinds = fire(cr, T0 + minutes(12 * HOURS))
    assert kinds == [EventKind.REMINDED]  # escalated once; later reminders include the group
    assert decide(cr, FireDeadline(cr.id), T0 + minutes(12 * HOURS)).events == ()


def test_later_reminders_nudge_the_escalation_group_too() -> None:
    cr = pending(escalating(one_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    decision = decide(cr, FireDeadline(cr.id), T0 + minutes(8 * HOURS))
    assert decision.events[0].data["groups"] == [MANAGERS, SENIORS]


def test_a_manager_is_refused_before_and_counted_after_escalation() -> None:
    cr = approved_by(pending(escalating(one_stage())), "n1")
    with pytest.raises(NotEligible, match="members of senior-network-engineers"):
        decide(cr, Approve(cr.id, "m1", frozenset({MANAGERS}), Seen.of(cr)), T0)
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    cr, _ = fire(cr, T0 + minutes(8 * HOURS))
    cr = refresh(cr, T0 + minutes(8 * HOURS))
    decision = decide(cr, Approve(cr.id, "m1", frozenset({MANAGERS}), Seen.of(cr)),
                      T0 + minutes(8 * HOURS))
    cr = decision.change
    assert cr.state is State.APPROVED
    (mine,) = [r for r in cr.live_responses() if r.person == "m1"]
    assert mine.stand_in and mine.groups == {MANAGERS}
    assert decision.events[0].data["stand_in"] is True
    assert set(stage_progress(cr, 0).requirements[0].approvers) == {"n1", "m1"}


def test_stand_ins_may_fill_any_requirement_of_the_stage() -> None:
    cr = pending(escalating(two_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    cr = refresh(cr, T0 + minutes(4 * HOURS))
    for person in ("m1", "m2"):
        cr = decide(cr, Approve(cr.id, person, frozenset({MANAGERS}), Seen.of(cr)),
                    T0 + minutes(4 * HOURS)).change
    assert active_stage(cr) == 1  # two managers met "2 seniors"


def test_each_stage_counts_its_own_reminders() -> None:
    cr = pending(escalating(two_stage(), after=1))
    cr, kinds = fire(cr, T0 + minutes(4 * HOURS))
    assert EventKind.ESCALATED in kinds
    cr = refresh(cr, T0 + minutes(5 * HOURS))
    cr = approved_by(cr, "n1", "n2", now=T0 + minutes(5 * HOURS))
    assert active_stage(cr) == 1
    assert not is_escalated(cr, 1)
    with pytest.raises(NotEligible):
        decide(cr, Approve(cr.id, "m1", frozenset({MANAGERS}), Seen.of(cr)),
               T0 + minutes(5 * HOURS))
    decision = decide(cr, FireDeadline(cr.id), T0 + minutes(8 * HOURS))
    assert [e.kind for e in decision.events] == [EventKind.REMINDED, EventKind.ESCALATED]
    assert decision.events[1].data["stage"] == 2
    assert decision.change.reminded_stages == (0, 1)


def test_escalation_keeps_four_eyes_and_separation_of_duties() -> None:
    cr = pending(escalating(two_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    cr = refresh(cr, T0 + minutes(4 * HOURS))
    at = T0 + minutes(4 * HOURS)
    with pytest.raises(SelfApproval):
        decide(cr, Approve(cr.id, "req", frozenset({MANAGERS}), Seen.of(cr)), at)
    cr = decide(cr, Approve(cr.id, "m1", frozenset({MANAGERS, CAB}), Seen.of(cr)), at).change
    cr = approved_by(cr, "n1", now=at)
    assert active_stage(cr) == 1
    with pytest.raises(AlreadyApprovedStage):
        decide(cr, Approve(cr.id, "m1", frozenset({MANAGERS, CAB}), Seen.of(cr)), at)


def test_a_stage_not_yet_open_stays_closed_to_the_escalation_group_members() -> None:
    cr = pending(escalating(two_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    with pytest.raises(StageNotOpen):
        decide(cr, Approve(cr.id, "c1", frozenset({CAB}), Seen.of(cr)), T0 + minutes(4 * HOURS))


def test_a_stand_in_may_reject() -> None:
    cr = pending(escalating(one_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    cr = decide(cr, Reject(cr.id, "m1", frozenset({MANAGERS}), Seen.of(cr), "not in the window"),
                T0 + minutes(4 * HOURS)).change
    assert cr.state is State.REJECTED


def test_a_new_revision_starts_counting_again() -> None:
    cr = pending(escalating(one_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    assert is_escalated(cr, 0)
    edited = decide(cr, Edit(cr.id, "req", content=replace(cr.content, payload="set y")),
                    T0 + minutes(5 * HOURS)).change
    assert edited.reminded_stages == () and edited.reminders_sent == 0


def test_no_escalation_without_the_setting() -> None:
    cr = pending(one_stage())
    for hours in (4, 8, 12):
        cr, kinds = fire(cr, T0 + minutes(hours * HOURS))
        assert kinds == [EventKind.REMINDED]
    assert not is_escalated(cr, 0)


def test_the_codec_round_trips_escalation_state() -> None:
    cr = pending(escalating(one_stage(), after=1))
    cr, _ = fire(cr, T0 + minutes(4 * HOURS))
    cr = refresh(cr, T0 + minutes(4 * HOURS))
    cr = decide(cr, Approve(cr.id, "m1", frozenset({MANAGERS}), Seen.of(cr)),
                T0 + minutes(4 * HOURS)).change
    assert change_from_dict(change_to_dict(cr)) == cr
    old_row = change_to_dict(cr)
    del old_row["reminded_stages"], old_row["workflow"]["escalation"]
    for response in old_row["responses"]:
        del response["stand_in"]
    restored = change_from_dict(old_row)
    assert restored.reminded_stages == () and restored.workflow is not None
    assert restored.workflow.escalation is None
