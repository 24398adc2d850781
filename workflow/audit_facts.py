"""What events record of a change's content, metadata and approvers, so the audit log alone
proves what was proposed, edited and approved."""

from __future__ import annotations

import hashlib
from dataclasses import fields

from workflow.model import ChangeRequest, Content, Metadata, Verdict

SHORT = 200  # characters: a payload or rollback plan this short is recorded whole beside its hash


def sha256(text: str) -> str:
    """sha256 hex of the text as given (UTF-8), so the log binds it without storing it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_facts(content: Content, metadata: Metadata) -> dict[str, object]:
    """Family, action, target, risk, labels, ticket, schedule, payload and rollback-plan hashes,
    and those texts themselves when they are short."""
    facts: dict[str, object] = {
        "family": content.family, "action": content.action, "target": content.target,
        "risk": content.risk.value, "labels": list(metadata.labels), "ticket": metadata.ticket,
        "scheduled_for": content.scheduled_for.isoformat() if content.scheduled_for else None,
        "payload_sha256": sha256(content.payload),
        "rollback_plan_sha256": sha256(content.rollback_plan),
    }
    for name in ("payload", "rollback_plan"):
        value: str = getattr(content, name)
        if len(value) <= SHORT:
            facts[name] = value
    return facts


def metadata_changes(before: Metadata, after: Metadata) -> dict[str, dict[str, object]]:
    """Each changed metadata field, old and new (labels as lists)."""
    def plain(value: object) -> object:
        return list(value) if isinstance(value, tuple) else value

    return {f.name: {"old": plain(getattr(before, f.name)), "new": plain(getattr(after, f.name))}
            for f in fields(Metadata) if getattr(before, f.name) != getattr(after, f.name)}


def approvers(cr: ChangeRequest) -> list[dict[str, object]]:
    """Who approved each stage of the current revision, with the revision and dry-run digest
    each approval was given on."""
    assert cr.workflow is not None
    live = [r for r in cr.live_responses() if r.verdict is Verdict.APPROVE]
    return [
        {"stage": index + 1, "name": stage.name, "approvers": [
            {"person": r.person, "revision": r.revision, "digest": r.digest,
             "groups": sorted(r.groups)}
            for r in sorted(live, key=lambda r: (r.at, r.person)) if r.stage == index]}
        for index, stage in enumerate(cr.workflow.stages)
    ]
