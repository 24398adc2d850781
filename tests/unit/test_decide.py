"""Table tests of the pure state machine: every refusal, every transition, nothing half-done."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.builders import (
    CAB,
    SEEN,
    SENIORS,
    T0,
    approved_by,
    content,
    minutes,
    one_stage,
    pending,
    two_stage,
)
from workflow import errors
from workflow.commands import (
    AddComment,
    Approve,
    Command,
    Create,
    Edit,
    FireDeadline,
    RecordApplyOutcome,
    RecordDryRun,
    Reject,
    ResolveUnknown,
    StartApply,
    Submit,
    WithdrawApproval,
    WithdrawRequest,
)
from workflow.decide import decide
from workflow.events import EventKind
from workflow.model import (
    SYSTEM_ACTOR,
    ApplyMode,
    ApplyStatus,
    ChangeRequest,
    Metadata,
    MetadataEdits,
    OnTimeout,
    Requirement,
    Stage,
    State,
    WorkflowSnapshot,
)
from workflow.seen import Seen

S = frozenset({SENIORS})
C = frozenset({CAB})


def executing() -> ChangeRequest:
    cr = approved_by(pending(), "n1", "n2")
    return decide(cr, StartApply("CHG-1", "req"), T0).change


def apply_unknown() -> ChangeRequest:
    cr = executing()
    assert cr.apply is not None
    outcome = RecordApplyOutcome("CHG-1", SYSTEM_ACTOR, cr.apply.key, ApplyStatus.UNKNOWN)
    return decide(cr, outcome, T0).change


REFUSALS: list[tuple[str, object, Command, type[errors.WorkflowError], str]] = [
    ("self approval", pending, Approve("CHG-1", "req", S, SEEN), errors.SelfApproval,
     "you requested"),
    ("not eligible", pending, Approve("CHG-1", "x", frozenset(), SEEN), errors.NotEligible,
     "not an approver"),
    ("stage not open", lambda: pending(two_stage()), Approve("CHG-1", "c1", C, SEEN),
     errors.StageNotOpen, "opens after stage 1"),
    ("no dry-run", lambda: pending(dry_run=None), Approve("CHG-1", "n1", S, Seen(1, None)),
     errors.NoDryRun, "dry-run"),
    ("repeat approve", lambda: approved_by(pending(), "n1"), Approve("CHG-1", "n1", S, SEEN),
     errors.AlreadyResponded, "already approved"),
    ("blank reject", pending, Reject("CHG-1", "n1", S, SEEN, "  "), errors.CommentRequired,
     "reason"),
    ("reject by author", pending, Reject("CHG-1", "req", S, SEEN, "no"), errors.SelfApproval,
     "four-eyes"),
    ("reject by outsider", pending, Reject("CHG-1", "x", frozenset(), SEEN, "no"),
     errors.NotEligible, "not an approver"),
    ("withdraw request by other", pending, WithdrawRequest("CHG-1", "n1"), errors.NotRequester,
     "only the requester"),
    ("withdraw nothing", pending, WithdrawApproval("CHG-1", "n1"), errors.NothingToWithdraw,
     "no approval"),
    ("withdraw while executing", executing, WithdrawApproval("CHG-1", "n1"), errors.WrongState,
     "being applied"),
    ("cancel while executing", executing, WithdrawRequest("CHG-1", "req"), errors.WrongState,
     "being applied"),
    ("approve when approved", lambda: approved_by(pending(), "n1", "n2"),
     Approve("CHG-1", "n3", S, SEEN), errors.WrongState, "already approved"),
    ("apply while pending", pending, StartApply("CHG-1", "req"), errors.WrongState,
     "pending review"),
    ("apply by outsider", lambda: approved_by(pending(), "n1", "n2"), StartApply("CHG-1", "x"),
     errors.NotPermitted, "only the requester"),
    ("submit twice", pending, Submit("CHG-1", "req", one_stage()), errors.WrongState,
     "pending review"),
    ("submit by stranger", lambda: decide(None, Create("CHG-1", "req", content(), Metadata("t")),
                                          T0).change,
     Submit("CHG-1", "x", one_stage()), errors.NotRequester, "requester or an author"),
    ("blank comment", pending, AddComment("CHG-1", "x", " "), errors.InvalidInput, "text"),
    ("dry-run for old revision", pending, RecordDryRun("CHG-1", "req", "o", revision=7),
     errors.WrongState, "revision 7"),
    ("dry-run typed by an approver", pending, RecordDryRun("CHG-1", "n1", "looks fine"),
     errors.NotPermitted, "only the requester or an author"),
    ("empty edit", pending, Edit("CHG-1", "req", content=content()), errors.NothingChanged,
     "changes nothing"),
    ("edit blank payload", pending, Edit("CHG-1", "req", content=replace(content(), payload="")),
     errors.InvalidInput, "payload"),
    ("naive schedule", pending,
     Edit("CHG-1", "req", content=content(scheduled_for=T0.replace(tzinfo=None))),
     errors.InvalidInput, "scheduled_for"),
    ("outcome with wrong key", executing,
     RecordApplyOutcome("CHG-1", "req", "CHG-1:1:nope", ApplyStatus.APPLIED), errors.InvalidInput,
     "key"),
    ("outcome reported by outsider", executing,
     RecordApplyOutcome("CHG-1", "x", "CHG-1:1:k", ApplyStatus.APPLIED), errors.NotPermitted,
     "report its apply outcome"),
    ("resolve without note", apply_unknown,
     ResolveUnknown("CHG-1", "req", frozenset(), ApplyStatus.APPLIED, ""), errors.InvalidInput,
     "note"),
    ("resolve as unknown", apply_unknown,
     ResolveUnknown("CHG-1", "req", frozenset(), ApplyStatus.UNKNOWN, "n"), errors.InvalidInput,
     "status"),
    ("resolve by outsider", apply_unknown,
     ResolveUnknown("CHG-1", "x", frozenset(), ApplyStatus.APPLIED, "n"), errors.NotPermitted,
     "only the requester"),
    ("apply twice", executing, StartApply("CHG-1", "req"), errors.WrongState, "being applied"),
    ("edit while executing", executing, Edit("CHG-1", "req", metadata=Metadata("new")),
     errors.WrongState, "being applied"),
]


@pytest.mark.parametrize(("name", "make", "command", "error", "text"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_refusals_leave_the_change_untouched(
    name: str, make: object, command: Command, error: type[errors.WorkflowError], text: str
) -> None:
    before = make()  # type: ignore[operator]
    with pytest.raises(error, match=text):
        decide(before, command, T0)


TERMINAL_MAKERS = {
    "rejected": lambda: decide(pending(), Reject("CHG-1", "n1", S, SEEN, "no"), T0).change,
    "cancelled": lambda: decide(pending(), WithdrawRequest("CHG-1", "req"), T0).change,
    "expired": lambda: decide(pending(), FireDeadline("CHG-1"), T0 + minutes(72 * 60)).change,
    "applied": lambda: _finish(ApplyStatus.APPLIED),
    "failed": lambda: _finish(ApplyStatus.FAILED),
    "apply_unknown": apply_unknown,
}


def _finish(status: ApplyStatus) -> ChangeRequest:
    cr = executing()
    assert cr.apply is not None
    return decide(cr, RecordApplyOutcome("CHG-1", "req", cr.apply.key, status), T0).change


ABSORBED = [
    Approve("CHG-1", "n3", S, SEEN), Reject("CHG-1", "n3", S, SEEN, "no"),
    AddComment("CHG-1", "x", "hi"),
    WithdrawApproval("CHG-1", "n1"), WithdrawRequest("CHG-1", "req"), StartApply("CHG-1", "req"),
    Submit("CHG-1", "req", one_stage()), RecordDryRun("CHG-1", "req", "new"),
]


@pytest.mark.parametrize("state", sorted(TERMINAL_MAKERS))
@pytest.mark.parametrize("command", ABSORBED, ids=lambda c: type(c).__name__)
def test_terminal_states_absorb_every_action(state: str, command: Command) -> None:
    cr = TERMINAL_MAKERS[state]()
    assert cr.state.value == state
    with pytest.raises(errors.WrongState, match=state.replace("_", " ").split()[0]):
        decide(cr, command, T0)
    assert decide(cr, FireDeadline("CHG-1"), T0 + minutes(10**5)).events == ()


@pytest.mark.parametrize("state", ["rejected", "cancelled", "expired"])
def test_content_edit_reopens_a_closed_change_as_new_revision(state: str) -> None:
    cr = TERMINAL_MAKERS[state]()
    after = decide(cr, Edit("CHG-1", "req", content=content(payload="set y")), T0).change
    assert (after.state, after.revision, after.dry_run, after.workflow) == (State.DRAFT, 2, None,
                                                                            None)
    assert after.version == cr.version + 1


def test_version_increases_on_every_change_and_not_on_a_no_op() -> None:
    cr = pending()
    after = decide(cr, AddComment("CHG-1", "x", "hi"), T0)
    assert after.change.version == cr.version + 1
    quiet = decide(cr, FireDeadline("CHG-1"), T0 + minutes(1))
    assert quiet.events == () and quiet.change.version == cr.version


def test_metadata_edit_keeps_revision_and_approvals() -> None:
    cr = approved_by(pending(one_stage(metadata_edits=MetadataEdits.KEEP)), "n1")
    after = decide(cr, Edit("CHG-1", "n9", metadata=Metadata("better title")), T0).change
    assert after.revision == 1 and len(after.live_responses()) == 1
    assert after.metadata.title == "better title"
    assert "n9" not in after.authors


def test_content_edit_during_review_makes_author_and_drops_cycle() -> None:
    cr = approved_by(pending(), "n1")
    after = decide(cr, Edit("CHG-1", "n3", content=content(payload="set z")), T0).change
    assert after.state is State.DRAFT and "n3" in after.authors
    assert after.live_responses() == ()


def test_person_in_two_required_groups_is_placed_where_it_helps() -> None:
    both = WorkflowSnapshot("mixed", (Stage("s", (Requirement("A", 1), Requirement("B", 1))),))
    cr = pending(both)
    cr = decide(cr, Approve("CHG-1", "ab", frozenset({"A", "B"}), SEEN), T0).change
    cr = decide(cr, Approve("CHG-1", "a", frozenset({"A"}), SEEN), T0).change
    assert cr.state is State.APPROVED


def test_members_of_one_group_never_fill_another_groups_requirement() -> None:
    both = WorkflowSnapshot("mixed", (Stage("s", (Requirement("A", 1), Requirement("B", 1))),))
    cr = decide(pending(both), Approve("CHG-1", "a1", frozenset({"A"}), SEEN), T0).change
    cr = decide(cr, Approve("CHG-1", "a2", frozenset({"A"}), SEEN), T0).change
    assert cr.state is State.PENDING_REVIEW


def test_apply_refuses_a_digest_nobody_approved_even_if_state_was_corrupted() -> None:
    cr = approved_by(pending(), "n1", "n2")
    assert cr.dry_run is not None
    tampered = replace(cr, dry_run=replace(cr.dry_run, digest="f" * 64))
    with pytest.raises(errors.DigestNotApproved):
        decide(tampered, StartApply("CHG-1", "req"), T0)


def test_a_person_counts_once_per_stage_even_in_two_groups() -> None:
    both = WorkflowSnapshot("mixed", (Stage("s", (Requirement("A", 1), Requirement("B", 1))),))
    cr = decide(pending(both), Approve("CHG-1", "ab", frozenset({"A", "B"}), SEEN), T0).change
    assert cr.state is State.PENDING_REVIEW


def test_approval_stays_valid_when_approver_later_leaves_group() -> None:
    cr = approved_by(pending(), "n1")
    cr = decide(cr, Approve("CHG-1", "n2", S, SEEN), T0).change
    assert cr.state is State.APPROVED  # n1's recorded groups still count, whatever happens later


def test_stale_dry_run_message_names_age_and_limit() -> None:
    cr = pending()
    with pytest.raises(errors.DryRunStale, match=r"31m old \(limit 30m\)"):
        decide(cr, Approve("CHG-1", "n1", S, SEEN), T0 + minutes(31))


def test_approval_records_digest_and_groups() -> None:
    cr = approved_by(pending(), "n1")
    response = cr.live_responses()[0]
    assert cr.dry_run is not None and response.digest == cr.dry_run.digest
    assert response.groups == S and response.stage == 0


def test_auto_apply_workflow_marks_apply_due_on_approval() -> None:
    cr = pending(two_stage(ApplyMode.AUTO))
    cr = approved_by(cr, "n1", "n2")
    decision = decide(cr, Approve("CHG-1", "c1", C, SEEN), T0)
    assert decision.change.apply_at == T0
    assert EventKind.APPLY_DUE in [e.kind for e in decision.events]


def test_start_apply_needs_fresh_dry_run_and_records_key() -> None:
    cr = approved_by(pending(), "n1", "n2")
    with pytest.raises(errors.DryRunStale):
        decide(cr, StartApply("CHG-1", "req"), T0 + minutes(31))
    started = decide(cr, StartApply("CHG-1", "req"), T0 + minutes(30)).change
    assert started.state is State.EXECUTING and started.apply is not None
    assert started.apply.key == f"CHG-1:1:{cr.dry_run.digest}"  # type: ignore[union-attr]


def test_person_may_not_apply_a_scheduled_change_early() -> None:
    cr = approved_by(pending(scheduled_for=T0 + minutes(60)), "n1", "n2")
    assert cr.state is State.SCHEDULED
    with pytest.raises(errors.WrongState, match="scheduled time"):
        decide(cr, StartApply("CHG-1", "req"), T0)
    early = decide(cr, FireDeadline("CHG-1"), T0 + minutes(59))
    assert early.events == ()
    with pytest.raises(errors.DryRunStale):
        decide(cr, FireDeadline("CHG-1"), T0 + minutes(60))
    rerun = RecordDryRun("CHG-1", "ci", "diff v1", from_executor=True)
    cr = decide(cr, rerun, T0 + minutes(60)).change
    assert cr.state is State.SCHEDULED and len(cr.live_responses()) == 2
    due = decide(cr, FireDeadline("CHG-1"), T0 + minutes(60)).change
    assert due.state is State.EXECUTING and due.apply is not None
    assert due.apply.started_by == SYSTEM_ACTOR


def test_reminders_once_per_interval_and_only_while_pending() -> None:
    cr = approved_by(pending(), "n1")
    first = decide(cr, FireDeadline("CHG-1"), T0 + minutes(240))
    assert [e.kind for e in first.events] == [EventKind.REMINDED]
    assert first.events[0].data["responded"] == ["n1"]
    again = decide(first.change, FireDeadline("CHG-1"), T0 + minutes(241))
    assert again.events == ()
    later = decide(first.change, FireDeadline("CHG-1"), T0 + minutes(480))
    assert later.change.reminders_sent == 2


def test_timeout_to_draft_drops_partial_approvals() -> None:
    cr = approved_by(pending(one_stage(on_timeout=OnTimeout.DRAFT)), "n1")
    after = decide(cr, FireDeadline("CHG-1"), T0 + minutes(72 * 60)).change
    assert after.state is State.DRAFT and after.live_responses() == ()
    resubmitted = decide(after, Submit("CHG-1", "req", one_stage()), T0 + minutes(72 * 60)).change
    assert resubmitted.state is State.PENDING_REVIEW


def test_withdrawal_below_stage_one_reopens_even_from_stage_two() -> None:
    cr = approved_by(pending(two_stage()), "n1", "n2")
    cr = decide(cr, Approve("CHG-1", "c1", C, SEEN), T0).change
    assert cr.state is State.APPROVED
    cr = decide(cr, WithdrawApproval("CHG-1", "n2"), T0).change
    assert cr.state is State.PENDING_REVIEW
    cr = decide(cr, Approve("CHG-1", "n3", S, SEEN), T0).change
    assert cr.state is State.APPROVED  # c1's stage-2 approval still stands


def test_a_withdrawal_carries_its_comment_into_the_event() -> None:
    cr = approved_by(pending(two_stage()), "n1")
    withdrawn = decide(cr, WithdrawApproval("CHG-1", "n1", "  the window moved "), T0).events
    assert [(e.kind, e.data.get("comment")) for e in withdrawn] == [
        (EventKind.WITHDRAWN, "the window moved")]


def test_unknown_outcome_is_resolved_by_a_person() -> None:
    cr = apply_unknown()
    done = decide(cr, ResolveUnknown("CHG-1", "n1", S, ApplyStatus.FAILED, "rolled back"), T0)
    assert done.change.state is State.FAILED
    assert [e.kind for e in done.events] == [EventKind.RESOLVED, EventKind.FAILED]
