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


def source_refusal(cr: ChangeRequest, rule: DryRunRule, source: DryRunSource) -> str | None:
    """Why a dry-run of `source` is not accepted under `rule`, or None when it is."""
    if rule.allows(source):
        return None
    executor = cr.workflow.executor if cr.workflow and cr.workflow.executor else "its executor"
    if rule is DryRunRule.EXECUTOR:
        return (f"{cr.id} accepts only a dry-run produced by {executor}, not output reported "
                "by a person or pipeline: run the dry-run through the executor")
    return (f"{cr.id} accepts only a dry-run reported by its pipeline (policy dry_run: reported)"
            ", not one produced by an executor")


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
