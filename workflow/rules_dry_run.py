"""What a dry-run must be before anyone approves or applies on it: present, of an accepted source,
fresh, and the one the responder saw."""

from __future__ import annotations

from datetime import datetime

from workflow.durations import format_duration
from workflow.errors import (
    DigestChanged,
    DryRunNotAccepted,
    DryRunStale,
    NoDryRun,
    RevisionChanged,
)
from workflow.model import ChangeRequest, DryRun, DryRunRule, DryRunSource
from workflow.seen import DIGEST_PREFIX, Seen


def short(digest: str) -> str:
    """A digest as people see it on cards and in messages."""
    return f"{DIGEST_PREFIX}{digest[:12]}"


def ask_executor(change_id: str) -> str:
    """The ways to have a change's bound executor produce its dry-run."""
    return (f"`changegate dry-run {change_id}` without --file, POST /changes/{change_id}/dry-run "
            "with no output, or Run dry-run on its card")


def report_output(change_id: str) -> str:
    """The ways to report a change's dry-run output produced elsewhere."""
    return (f"`changegate dry-run {change_id} --file out.txt`, or POST "
            f"/changes/{change_id}/dry-run with the output")


def source_refusal(cr: ChangeRequest, rule: DryRunRule, source: DryRunSource, *,
                   proposing: bool = False) -> str | None:
    """Why a dry-run of `source` is not accepted under `rule`, or None when it is; said with
    what works instead. `proposing`: the output came with the proposal, which is refused whole,
    so the change (whose id was never committed) is not named."""
    if rule.allows(source):
        return None
    named = cr.workflow.executor if cr.workflow and cr.workflow.executor else ""
    executor = f"its executor {named}" if named else "its executor"
    if rule is DryRunRule.EXECUTOR and proposing:
        return ("nothing was proposed: this change's workflow accepts only a dry-run produced "
                "by its executor, not output reported by a person or pipeline: propose it "
                "without the output (`changegate submit` without --dry-run-file then runs the "
                "executor's dry-run; through the API, POST /changes without dry_run, then "
                "POST /changes/{id}/dry-run with no output)")
    if rule is DryRunRule.EXECUTOR:
        return (f"{cr.id} accepts only a dry-run produced by {executor}, not output reported "
                "by a person or pipeline: run the dry-run through the executor instead "
                f"({ask_executor(cr.id)})")
    return (f"{cr.id} accepts only a dry-run reported by its pipeline (policy dry_run: reported)"
            f", not one produced by an executor: report the output instead "
            f"({report_output(cr.id)})")


HINTS = {  # (no dry-run yet, stale dry-run) for each use
    "approve": ("first, then approve", "re-run it, then approve"),
    "apply": ("before applying", "it is re-run before the apply"),
}


def usable_dry_run(cr: ChangeRequest, now: datetime, doing: str) -> DryRun:
    """The current dry-run if it may be approved or applied now (`doing`: approve | apply);
    refuse saying what to do otherwise."""
    assert cr.workflow is not None
    missing, stale = HINTS[doing]
    dry_run = cr.dry_run
    if dry_run is None:
        raise NoDryRun(f"run a dry-run of revision {cr.revision} of {cr.id} {missing}")
    refusal = source_refusal(cr, cr.workflow.dry_run, dry_run.source)
    if refusal is not None:
        raise DryRunNotAccepted(refusal)
    ttl = cr.workflow.timing.dry_run_ttl
    if not dry_run.is_fresh(now, ttl):
        raise DryRunStale(
            f"dry-run is {format_duration(dry_run.age(now))} old "
            f"(limit {format_duration(ttl)}): {stale}"
        )
    return dry_run


def check_revision(cr: ChangeRequest, revision: int | None, did: str) -> None:
    """Refuse an act bound to a revision (`did`: what its author did with it) that is no
    longer the current one."""
    if revision is not None and revision != cr.revision:
        raise RevisionChanged(
            f"{cr.id} is at revision {cr.revision} now, not the revision {revision} you "
            f"{did}: look at the updated change, then act again"
        )


def check_seen(cr: ChangeRequest, seen: Seen) -> None:
    """A response counts only for what its author was shown: the revision and the dry-run
    digest, where "no dry-run" is a value like any other and never matches a digest."""
    check_revision(cr, seen.revision, "reviewed")
    current = cr.dry_run.digest if cr.dry_run else None
    if seen.digest == current:
        return
    saw = "no dry-run" if seen.digest is None else short(seen.digest)
    now_is = f"it is now {short(current)}" if current else "it has none now"
    raise DigestChanged(
        f"the dry-run of {cr.id} changed since you saw {saw}: {now_is}; "
        "look at the new output, then act again"
    )
