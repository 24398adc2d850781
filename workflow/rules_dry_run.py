"""What a dry-run must be before anyone approves or applies on it: present, of an accepted source,
fresh, and the one the responder saw."""

from __future__ import annotations

from datetime import datetime

from workflow.durations import format_duration
from workflow.errors import (
    DigestChanged,
    DryRunNotAccepted,
    DryRunStale,
    InvalidInput,
    NoDryRun,
    RevisionChanged,
)
from workflow.model import ChangeRequest, DryRun, DryRunRule, DryRunSource

DIGEST_PREFIX = "sha256:"


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


def check_seen(cr: ChangeRequest, revision: int | None, digest: str | None) -> None:
    """A response counts only for what its author saw: the revision and the dry-run digest.
    Without a digest, a revision whose dry-run output changed is ambiguous and refused."""
    check_revision(cr, revision, "reviewed")
    current = cr.dry_run
    if digest is None:
        if current is not None and current.outputs > 1:
            raise InvalidInput(
                "digest",
                f"the dry-run output of revision {cr.revision} of {cr.id} changed "
                f"{current.outputs - 1} time(s): name the digest you reviewed "
                f"(now {DIGEST_PREFIX}{current.digest})",
            )
        return
    seen = digest.removeprefix(DIGEST_PREFIX).lower()
    if current is None or seen != current.digest:
        now_is = f"it is now {short(current.digest)}" if current else "it has none now"
        raise DigestChanged(
            f"the dry-run of {cr.id} changed since you saw {short(seen)}: {now_is}; "
            "look at the new output, then act again"
        )
