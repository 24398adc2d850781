"""Refusals: one base class, a subclass per rule, each with a message a person can act on."""

from __future__ import annotations

from workflow.model import ChangeRequest


class WorkflowError(Exception):
    """An action the workflow refuses; `reason` is a stable code for audit, metrics and clients."""

    reason = "refused"
    audited = True  # refusals are audit events, except harmless repeats

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ChangeNotFound(WorkflowError):
    """The id names no change request."""

    reason = "not_found"
    audited = False


class InvalidInput(WorkflowError):
    """A command field is missing or malformed; `field` names it."""

    reason = "invalid_input"
    audited = False

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class WrongState(WorkflowError):
    """The action is not possible in the change's current state."""

    reason = "wrong_state"


class SelfApproval(WorkflowError):
    """Four eyes: the requester or a revision author tried to review."""

    reason = "self_approval"


class NotEligible(WorkflowError):
    """The actor is not a member of a group the active stage requires."""

    reason = "not_eligible"


class StageNotOpen(WorkflowError):
    """The response targets a stage that is not active yet."""

    reason = "stage_not_open"


class AlreadyApprovedStage(WorkflowError):
    """Separation of duties: one person may approve only one stage of a revision."""

    reason = "separation_of_duties"


class AlreadyResponded(WorkflowError):
    """A repeated approve: a double click or redelivered payload changes nothing."""

    reason = "already_responded"
    audited = False


class CommentRequired(WorkflowError):
    """A rejection must say why."""

    reason = "comment_required"


class NoDryRun(WorkflowError):
    """Approval or apply needs a dry-run of the current revision."""

    reason = "no_dry_run"


class DryRunStale(WorkflowError):
    """The dry-run is older than its ttl and must be re-run."""

    reason = "stale_dry_run"


class DigestNotApproved(WorkflowError):
    """Nothing is applied on a digest nobody approved."""

    reason = "digest_not_approved"


class NotRequester(WorkflowError):
    """Only the requester may withdraw the request."""

    reason = "not_requester"


class NothingToWithdraw(WorkflowError):
    """The actor has no live approval on the current revision."""

    reason = "nothing_to_withdraw"


class AbortNotPossible(WorkflowError):
    """The running apply cannot be stopped: its executor has no way to, or it was asked already."""

    reason = "abort_not_possible"


class NotPermitted(WorkflowError):
    """The actor may not perform this action on the change."""

    reason = "not_permitted"


class SubmitDenied(WorkflowError):
    """A submit rule of the policy denies the actor this family/action."""

    reason = "denied_by_policy"


class NoWorkflowMatches(WorkflowError):
    """Fail closed: no workflow of the policy matches the change."""

    reason = "no_workflow"


class NothingChanged(WorkflowError):
    """An edit that changes no field."""

    reason = "nothing_changed"
    audited = False


class ConcurrencyConflict(Exception):
    """Another writer changed the change request first; re-read and decide again."""


class DuplicateRequest(Exception):
    """A create with an idempotency key that was already used; carries the change it made, as
    read in the transaction that lost the race for the key."""

    def __init__(self, existing: ChangeRequest) -> None:
        super().__init__(existing.id)
        self.existing = existing
        self.change_id = existing.id


class IdempotencyKeyReused(WorkflowError):
    """An idempotency key already created a change from a request with other content."""

    reason = "idempotency_key_reused"


class Replayed(WorkflowError):
    """The same gesture (a submitted form) was decided already: a replay changes nothing."""

    reason = "replayed"
    audited = False


class Busy(WorkflowError):
    """Too many concurrent writers on one change; the caller may simply retry."""

    reason = "busy"
    audited = False


class DigestChanged(WorkflowError):
    """The dry-run re-run at apply time gave a different digest; approvals were invalidated."""

    reason = "digest_changed"


class RevisionChanged(WorkflowError):
    """The response names a revision that is no longer the current one."""

    reason = "revision_changed"


class DryRunNotAccepted(WorkflowError):
    """The workflow does not accept a dry-run from this source (e.g. typed in for an
    executor-bound family): approvers would judge text the executor did not produce."""

    reason = "dry_run_source"


class ResultNotExpected(WorkflowError):
    """An apply outcome reported from outside for an apply ChangeGate's own executor runs, or
    for an apply that is not running."""

    reason = "result_not_expected"


class ScheduleMissed(WorkflowError):
    """The schedule plus its late-apply grace has passed: the change is never applied late."""

    reason = "schedule_missed"


class NoExecutor(WorkflowError):
    """No executor is bound to the change's family, so results must be reported from outside."""

    reason = "no_executor"
    audited = False


class DryRunFailed(WorkflowError):
    """The bound executor could not produce a dry-run; nothing was recorded."""

    reason = "dry_run_failed"
