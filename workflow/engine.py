"""The async engine: one unit of work per command; decide purely, audit and outbox in one commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from workflow.abort import cannot_abort, signal_abort
from workflow.actors import caller
from workflow.apply_gate import ApplyGate
from workflow.commands import (
    AddComment,
    Approve,
    Command,
    Create,
    Edit,
    FireDeadline,
    RecordApplyOutcome,
    RecordDryRun,
    RecordPostReview,
    Reject,
    RequestAbort,
    ResolveUnknown,
    StartApply,
    Submit,
    WithdrawApproval,
    WithdrawRequest,
)
from workflow.errors import (
    DuplicateRequest,
    IdempotencyKeyReused,
    NoWorkflowMatches,
)
from workflow.events import EventKind
from workflow.gesture import Gesture
from workflow.idempotency import request_hash, same_request
from workflow.membership import Membership, MembershipUnknown
from workflow.model import (
    SYSTEM_ACTOR,
    ApplyStatus,
    ChangeRequest,
    Content,
    DryRunRule,
    Metadata,
)
from workflow.outcome import Decision
from workflow.policy import Policy
from workflow.ports import (
    Clock,
    Directory,
    ExecutorRegistry,
    UnitOfWorkFactory,
)
from workflow.post_review import ReviewOutcome
from workflow.rules_copy import copied_content, copy_refusal
from workflow.runner import CommandRunner
from workflow.seen import Seen
from workflow.writer import CommitObserver, Followers

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Proposed:
    """A proposal's change, and whether this call created it or replays the one that did."""

    change: ChangeRequest
    created: bool


class Engine:
    """Runs commands from every path (Slack, API, timers) through the same rules."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: Callable[[], Policy],
        directory: Directory,
        executors: ExecutorRegistry | None = None,
        max_attempts: int = 8,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._directory = directory
        self._runner = CommandRunner(uow, clock, max_attempts,
                                     policy_version=lambda: policy().version,
                                     followers=lambda: followers(policy()))
        self._gate = ApplyGate(uow, self._runner, executors)

    def on_commit(self, observer: CommitObserver) -> None:
        """Tell `observer` the changes every commit of this engine saved, once per transaction,
        whichever entrypoint's command it was: what wakes delivery, timers and long-polls."""
        self._runner.on_commit(observer)

    async def room(self, below: int, within_s: float) -> bool:
        """Wait, at most `within_s` seconds, until fewer than `below` commands wait or run in
        this process: a listener that acknowledges only then slows a burst down to what the
        database takes, instead of queueing it without bound."""
        return await self._runner.admission.room(below, within_s)

    async def get(self, change_id: str) -> ChangeRequest | None:
        """Read one change outside any command."""
        return await self._runner.get(change_id)

    async def propose(
        self,
        actor: str,
        content: Content,
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
        dry_run_output: str | None = None,
        submit: bool = False,
    ) -> ChangeRequest:
        """Create a draft (optionally with its dry-run, optionally submitted) in one transaction;
        a retry under the same idempotency key gives the change the first call created."""
        proposed = await self.propose_once(actor, content, metadata,
                                           idempotency_key=idempotency_key,
                                           dry_run_output=dry_run_output, submit=submit)
        return proposed.change

    async def propose_once(
        self,
        actor: str,
        content: Content,
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
        dry_run_output: str | None = None,
        submit: bool = False,
    ) -> Proposed:
        """Propose, saying whether this call created the change or replays the call that did.

        One change per (requester, idempotency key): the unique key settles concurrent calls in
        the creating transaction, whose loser reads the winner there; a key reused for another
        request (its hash differs) is refused with IdempotencyKeyReused.
        """
        caller(actor)
        groups = await self._directory.groups_of(actor)
        policy = self._policy()
        hashed = (None if idempotency_key is None
                  else request_hash(content, metadata, dry_run_output, submit))

        def build(_: ChangeRequest | None, change_id: str) -> Sequence[Command]:
            policy.check_submit(content.family, content.action, groups)
            workflow = policy.select(content, metadata, groups)
            commands: list[Command] = [
                Create(change_id, actor, content, metadata, idempotency_key, hashed)
            ]
            if dry_run_output is not None:
                commands.append(RecordDryRun(change_id, actor, dry_run_output,
                                             accepts=workflow.dry_run, proposing=True))
            if submit:
                commands.append(Submit(change_id, actor, workflow, proposing=True))
            return commands

        try:
            decision = await self._runner.run(None, actor, build)
        except DuplicateRequest as dup:
            assert idempotency_key is not None and hashed is not None
            if not same_request(dup.existing, hashed):
                reused = IdempotencyKeyReused(
                    f"the idempotency key {idempotency_key!r} already created {dup.existing.id} "
                    "from other content: use a new key for a new change")
                await self._runner.audit_refusal(dup.existing.id, actor, reused)
                raise reused from None
            return Proposed(dup.existing, created=False)
        return Proposed(await self._gate.follow_up(decision), created=True)

    async def copy(self, change_id: str, actor: str) -> ChangeRequest:
        """Copy as new (workflow.rules_copy): a new draft by `actor` with the content and
        metadata of a change that ended without being applied, under the submit rules as any
        proposal; its `proposed` event names the source. A source still in flight, applied or
        of unknown outcome is refused, and the refusal audited on the source."""
        caller(actor)
        source = await self._require(change_id)
        refusal = copy_refusal(source)
        if refusal is not None:
            await self._runner.audit_refusal(source.id, actor, refusal)
            raise refusal
        content = copied_content(source, self._clock.now())
        metadata = source.metadata
        groups = await self._directory.groups_of(actor)
        policy = self._policy()

        def build(_: ChangeRequest | None, new_id: str) -> Sequence[Command]:
            policy.check_submit(content.family, content.action, groups)
            return [Create(new_id, actor, content, metadata,
                           copied_from=(source.id, source.revision))]

        return await self._gate.follow_up(await self._runner.run(None, actor, build))

    async def edit(
        self,
        change_id: str,
        actor: str,
        content: Content | None = None,
        metadata: Metadata | None = None,
        revision: int | None = None,
    ) -> ChangeRequest:
        """Edit content (new revision, submit rules apply) and/or metadata; `revision` is the
        one the editor saw, refused (`revision_changed`) once another has replaced it."""
        caller(actor)
        groups = await self._directory.groups_of(actor)
        policy = self._policy()

        def build(_: ChangeRequest | None, __: str) -> Sequence[Command]:
            if content is not None:
                policy.check_submit(content.family, content.action, groups)
            return [Edit(change_id, actor, content, metadata, revision)]

        return await self._gate.follow_up(await self._runner.run(change_id, actor, build))

    async def submit(self, change_id: str, actor: str) -> ChangeRequest:
        """Select the workflow with the current policy and send the draft for review."""
        caller(actor)
        current = await self._require(change_id)
        requester_groups = await self._directory.groups_of(current.requester)
        actor_groups = await self._directory.groups_of(actor)
        policy = self._policy()

        def build(cr: ChangeRequest | None, _: str) -> Sequence[Command]:
            assert cr is not None
            policy.check_submit(cr.content.family, cr.content.action, actor_groups)
            workflow = policy.select(cr.content, cr.metadata, requester_groups)
            return [Submit(change_id, actor, workflow)]

        return await self._gate.follow_up(await self._runner.run(change_id, actor, build))

    async def record_dry_run(
        self, change_id: str, actor: str, output: str, revision: int | None = None
    ) -> ChangeRequest:
        """Store a dry-run result produced elsewhere (a pipeline, a person), if the workflow the
        change is (or would be) under accepts reported dry-runs."""
        caller(actor)
        current = await self._require(change_id)
        requester_groups = await self._directory.groups_of(current.requester)
        policy = self._policy()

        def build(cr: ChangeRequest | None, _: str) -> Sequence[Command]:
            assert cr is not None
            return [RecordDryRun(change_id, actor, output, revision,
                                 accepts=_draft_dry_run_rule(policy, cr, requester_groups))]

        return await self._gate.follow_up(await self._runner.run(change_id, actor, build))

    async def run_dry_run(self, change_id: str, actor: str) -> ChangeRequest:
        """Run the bound executor's dry-run outside any transaction, then record it; a draft's
        is refused before the executor runs when the workflow that would review it accepts
        only reported output."""
        caller(actor)
        current = await self._require(change_id)
        accepts = DryRunRule.EITHER
        if current.workflow is None:
            requester_groups = await self._directory.groups_of(current.requester)
            accepts = _draft_dry_run_rule(self._policy(), current, requester_groups)
        decision = await self._gate.run_dry_run(change_id, actor, accepts)
        return decision.change

    async def approve(
        self, change_id: str, actor: str, seen: Seen, comment: str = "", *,
        gesture: Gesture | None = None,
    ) -> ChangeRequest:
        """Approve with the actor's live group membership, bound to the revision and dry-run
        digest the approver was shown."""
        caller(actor)
        return await self._as_member(actor, lambda m: self._complete(Approve(
            change_id, actor, _names(m), seen, comment, membership=m), gesture))

    async def reject(
        self, change_id: str, actor: str, seen: Seen, comment: str, *,
        gesture: Gesture | None = None,
    ) -> ChangeRequest:
        """Reject with a reason, bound like an approval to what the rejecter was shown."""
        caller(actor)
        return await self._as_member(actor, lambda m: self._complete(Reject(
            change_id, actor, _names(m), seen, comment, membership=m), gesture))

    async def comment(self, change_id: str, actor: str, text: str, *,
                      gesture: Gesture | None = None) -> ChangeRequest:
        """Add a note that never counts."""
        caller(actor)
        return await self._complete(AddComment(change_id, actor, text), gesture)

    async def withdraw_approval(self, change_id: str, actor: str, comment: str = "", *,
                                gesture: Gesture | None = None) -> ChangeRequest:
        """An approver takes back their approval, optionally saying why."""
        caller(actor)
        return await self._complete(WithdrawApproval(change_id, actor, comment), gesture)

    async def withdraw_request(self, change_id: str, actor: str) -> ChangeRequest:
        """The requester cancels the change."""
        caller(actor)
        return await self._complete(WithdrawRequest(change_id, actor))

    async def withdraw(self, change_id: str, actor: str, comment: str = "") -> ChangeRequest:
        """The requester cancels the change; anyone else takes back their approval. Which one
        is decided on the change as read in the command's transaction."""
        caller(actor)

        def build(cr: ChangeRequest | None, _: str) -> Sequence[Command]:
            if cr is not None and cr.requester == actor:
                return [WithdrawRequest(change_id, actor)]
            return [WithdrawApproval(change_id, actor, comment)]

        return await self._gate.follow_up(await self._runner.run(change_id, actor, build))

    async def apply(self, change_id: str, actor: str, *, revision: int | None = None
                    ) -> ChangeRequest:
        """The one apply gate for people and pipelines, bound to the revision the person saw
        when it is given; the system applies through fire_deadline."""
        caller(actor)
        return await self._as_member(actor, lambda m: self._gate.through(
            change_id, actor, StartApply(change_id, actor, _names(m), revision, membership=m)))

    async def fire_deadline(self, change_id: str) -> ChangeRequest:
        """A timer fired: the decision re-checks every deadline, so any firing is harmless."""
        return await self._gate.through(change_id, SYSTEM_ACTOR, FireDeadline(change_id))

    async def record_outcome(
        self, change_id: str, actor: str, key: str | None, status: ApplyStatus, output: str = ""
    ) -> ChangeRequest:
        """An outside pipeline reports the outcome of the apply it ran."""
        caller(actor)
        return await self._as_member(actor, lambda m: self._complete(RecordApplyOutcome(
            change_id, actor, key, status, output, _names(m), reported=True, membership=m)))

    async def abort(self, change_id: str, actor: str, reason: str, *,
                    gesture: Gesture | None = None) -> ChangeRequest:
        """An operator stops the running apply: the request is decided and recorded first, then
        the executor is told; its outcome is recorded as any apply's (failed, aborted)."""
        caller(actor)
        cr = await self._require(change_id)
        executor = self._gate.executor_for(cr)
        decision = await self._as_member(actor, lambda m: self.handle(RequestAbort(
            change_id, actor, _names(m), reason, cannot_abort(executor, cr), membership=m),
            gesture=gesture))
        if any(e.kind is EventKind.ABORT_REQUESTED for e in decision.events):
            await signal_abort(executor, decision.change)
        return decision.change

    async def resolve(
        self, change_id: str, actor: str, status: ApplyStatus, note: str, *,
        gesture: Gesture | None = None,
    ) -> ChangeRequest:
        """A person settles an apply whose outcome was unknown."""
        caller(actor)
        return await self._as_member(actor, lambda m: self._complete(ResolveUnknown(
            change_id, actor, _names(m), status, note, membership=m), gesture))

    async def post_review(
        self, change_id: str, actor: str, outcome: ReviewOutcome, note: str,
        links: tuple[str, ...] = (), *, gesture: Gesture | None = None,
    ) -> ChangeRequest:
        """The requester records how an applied or failed change went."""
        caller(actor)
        return await self._complete(RecordPostReview(change_id, actor, outcome, note, links),
                                    gesture)

    async def handle(self, command: Command, *, audit_refusal: bool = True,
                     gesture: Gesture | None = None) -> Decision:
        """Decide one command in one unit of work, retrying on version conflicts; the key of
        `gesture` (a submitted form) it decides is recorded in the same commit, and a gesture
        recorded before is refused as replayed."""
        return await self._runner.run_one(command, audit_refusal, gesture)

    async def recover_interrupted_applies(self) -> list[str]:
        """An apply no live process holds any more (its process died, or gave it up) has an
        unknown outcome: never re-apply it. Applies another replica is running are left alone."""
        return await self._gate.recover_interrupted()

    async def _complete(self, command: Command, gesture: Gesture | None = None) -> ChangeRequest:
        """Handle a command, then run what its decision asks for."""
        return await self._gate.follow_up(await self.handle(command, gesture=gesture))

    async def _as_member(self, actor: str, act: Callable[[Membership], Awaitable[T]]) -> T:
        """Run `act` with the actor's membership of the policy's groups, looked up outside any
        transaction; a change that kept other definitions asks for those, looked up once more."""
        known = frozenset(self._policy().groups.values())
        try:
            return await act(Membership(known, await self._directory.within(known, actor)))
        except MembershipUnknown as unknown:
            known |= frozenset(unknown.groups)
            return await act(Membership(known, await self._directory.within(known, actor)))

    async def _require(self, change_id: str) -> ChangeRequest:
        """Read a change or refuse with not found."""
        return await self._runner.require(change_id)



def _names(membership: Membership) -> frozenset[str]:
    """The names of the groups a person is in, for a change that keeps no definitions of its own
    (a draft, or one stored before definitions were kept)."""
    return frozenset(g.name for g in membership.within)


def followers(policy: Policy) -> Followers:
    """The policy in force decides who hears of a commit (not the change's snapshot): a
    subscription added by a reload follows the changes already in flight too."""
    return Followers(policy.subscriptions, policy.ticket_url)


def _draft_dry_run_rule(
    policy: Policy, cr: ChangeRequest, requester_groups: frozenset[str]
) -> DryRunRule:
    """The dry-run sources the workflow that would review a draft accepts (a submitted change
    carries its own in its snapshot); a draft no workflow matches cannot be submitted anyway."""
    try:
        return policy.select(cr.content, cr.metadata, requester_groups).dry_run
    except NoWorkflowMatches:
        return DryRunRule.EITHER
