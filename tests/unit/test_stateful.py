"""Random command sequences against the pure state machine, checking the contract's invariants."""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tests.support.builders import CAB, SENIORS, T0, content, one_stage, two_stage
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
from workflow.errors import WorkflowError
from workflow.model import (
    SYSTEM_ACTOR,
    ApplyMode,
    ApplyStatus,
    ChangeRequest,
    Metadata,
    State,
    Verdict,
    WorkflowSnapshot,
)
from workflow.progress import all_progress
from workflow.seen import Seen

MEMBERSHIP = {
    "req": frozenset({SENIORS}),
    "n1": frozenset({SENIORS}),
    "n2": frozenset({SENIORS}),
    "n3": frozenset({SENIORS}),
    "s1": frozenset({SENIORS, CAB}),
    "c1": frozenset({CAB}),
    "x": frozenset(),
}
PEOPLE = st.sampled_from(sorted(MEMBERSHIP))
OUTPUTS = st.sampled_from(["diff A", "diff B", "diff A  \n"])
WORKFLOWS = st.sampled_from([one_stage(), two_stage(), two_stage(ApplyMode.AUTO), one_stage(3)])
FINAL = frozenset({State.APPLIED, State.FAILED})


class ChangeMachine(RuleBasedStateMachine):
    """One change request driven by random commands and clock moves."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.cr: ChangeRequest = decide(
            None, Create("CHG-1", "req", content(), Metadata("t")), T0
        ).change
        self.edits = 0
        self.started: list[tuple[str, bool, bool]] = []  # (digest, approved, fresh) at each start

    def run(self, command: Command) -> None:
        before = self.cr
        try:
            decision = decide(before, command, self.now)
        except WorkflowError:
            assert self.cr is before
            return
        if decision.events:
            assert decision.change.version > before.version
        else:
            assert decision.change == before
        if before.state in FINAL:
            assert decision.change.state is before.state
        self.cr = decision.change
        if before.state is not State.EXECUTING and self.cr.state is State.EXECUTING:
            self._check_start(before)

    def _check_start(self, before: ChangeRequest) -> None:
        """Applied digests were approved on a fresh dry-run, by every required stage."""
        assert self.cr.apply is not None and before.dry_run is not None
        assert before.workflow is not None
        digest = self.cr.apply.digest
        approved = all(r.digest == digest for r in before.live_responses())
        fresh = self.now - before.dry_run.taken_at <= before.workflow.timing.dry_run_ttl
        self.started.append((digest, approved, fresh))
        assert approved and fresh
        assert digest == before.dry_run.digest

    @initialize(workflow=WORKFLOWS, output=OUTPUTS)
    def start_in_review(self, workflow: WorkflowSnapshot, output: str) -> None:
        self.run(RecordDryRun("CHG-1", "req", output))
        self.run(Submit("CHG-1", "req", workflow))

    @rule(output=OUTPUTS)
    def dry_run(self, output: str) -> None:
        self.run(RecordDryRun("CHG-1", "req", output))

    @rule(person=PEOPLE, workflow=WORKFLOWS)
    def submit(self, person: str, workflow: WorkflowSnapshot) -> None:
        self.run(Submit("CHG-1", person, workflow))

    @rule(person=PEOPLE)
    def approve(self, person: str) -> None:
        self.run(Approve("CHG-1", person, MEMBERSHIP[person], Seen.of(self.cr)))

    @rule(person=st.sampled_from(["n1", "n2", "n3", "s1", "c1"]))
    def approve_as_approver(self, person: str) -> None:
        self.approve(person)

    @rule(person=PEOPLE, comment=st.sampled_from(["", " ", "wrong AS"]))
    def reject(self, person: str, comment: str) -> None:
        self.run(Reject("CHG-1", person, MEMBERSHIP[person], Seen.of(self.cr), comment))

    @rule(person=PEOPLE)
    def withdraw_approval(self, person: str) -> None:
        self.run(WithdrawApproval("CHG-1", person))

    @rule(person=PEOPLE)
    def withdraw_request(self, person: str) -> None:
        self.run(WithdrawRequest("CHG-1", person))

    @rule(person=PEOPLE)
    def comment(self, person: str) -> None:
        self.run(AddComment("CHG-1", person, "note"))

    @precondition(lambda self: self.edits < 2)
    @rule(person=PEOPLE)
    def edit(self, person: str) -> None:
        self.edits += 1
        self.run(Edit("CHG-1", person, content=content(payload=f"set {self.edits}")))

    @rule(person=st.sampled_from(["req", "n1", SYSTEM_ACTOR, "x"]))
    def apply(self, person: str) -> None:
        self.run(StartApply("CHG-1", person, MEMBERSHIP.get(person, frozenset())))

    @precondition(lambda self: self.cr.apply is not None)
    @rule(status=st.sampled_from(list(ApplyStatus)))
    def outcome(self, status: ApplyStatus) -> None:
        assert self.cr.apply is not None
        self.run(RecordApplyOutcome("CHG-1", SYSTEM_ACTOR, self.cr.apply.key, status))

    @rule(person=PEOPLE, status=st.sampled_from([ApplyStatus.APPLIED, ApplyStatus.FAILED]))
    def resolve(self, person: str, status: ApplyStatus) -> None:
        self.run(ResolveUnknown("CHG-1", person, MEMBERSHIP[person], status, "checked"))

    @rule(minutes=st.sampled_from([1, 5, 14, 29, 30, 31, 240, 4320]))
    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.run(FireDeadline("CHG-1"))

    @invariant()
    def approvals_are_by_distinct_eligible_non_authors(self) -> None:
        cr = self.cr
        counted: list[str] = []
        for progress in all_progress(cr):
            for req in progress.requirements:
                for person in req.approvers:
                    assert person not in cr.authors
                    assert req.requirement.group in MEMBERSHIP[person]
                    counted.append(person)
        assert len(counted) == len(set(counted)), "a person counted twice"
        if cr.state in (State.APPROVED, State.SCHEDULED, State.EXECUTING):
            assert all(p.met for p in all_progress(cr))

    @invariant()
    def live_responses_are_one_per_person(self) -> None:
        people = [r.person for r in self.cr.live_responses()]
        assert len(people) == len(set(people))
        if self.cr.state is not State.REJECTED:
            assert all(r.verdict is Verdict.APPROVE for r in self.cr.live_responses())

    @invariant()
    def live_approvals_carry_the_current_digest(self) -> None:
        dry_run = self.cr.dry_run
        for response in self.cr.live_responses():
            if response.verdict is Verdict.REJECT:
                continue
            assert dry_run is not None and response.digest == dry_run.digest


# CI replays the same examples every run; locally each run explores new ones.
ChangeMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None,
    derandomize=bool(os.environ.get("CI")),
)
TestChangeMachine = ChangeMachine.TestCase
