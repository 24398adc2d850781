"""Scenario 40 on every backend: the audit log alone says what was proposed, edited and
approved, and under which policy, from the draft on."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from tests.support.backends import Backend
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.errors import NotRequester, SelfApproval
from workflow.model import State

PAYLOAD = "neighbor 192.0.2.1 remote-as 65001"  # as World.propose writes it


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_40_the_log_names_what_was_proposed_and_who_approved_which_digest(
        world: World, backend: Backend) -> None:
    cr = await world.propose("high", labels=("env=prod",))
    with pytest.raises(SelfApproval):
        await approve_seen(world.engine, cr.id, "req")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED and cr.dry_run is not None

    records = [r.record for r in await backend.audit_rows()]
    [proposed] = [r for r in records if r["kind"] == "proposed"]
    assert {k: proposed["data"][k] for k in ("family", "action", "target", "risk", "labels",
                                              "scheduled_for", "payload_sha256", "payload",
                                              "rollback_plan_sha256")} == {
        "family": "bgp", "action": "update", "target": "edge-1", "risk": "high",
        "labels": ["env=prod"], "scheduled_for": None, "payload_sha256": sha(PAYLOAD),
        "payload": PAYLOAD, "rollback_plan_sha256": sha("no neighbor 192.0.2.1")}
    [approved] = [r for r in records if r["kind"] == "approved"]
    [stage] = approved["data"]["stages"]
    assert [(a["person"], a["revision"], a["digest"]) for a in stage["approvers"]] == [
        ("n1", 1, cr.dry_run.digest), ("n2", 1, cr.dry_run.digest)]
    assert {r["policy_version"] for r in records} == {world.policy.version}


async def test_a_draft_revision_records_its_content_and_a_long_payload_only_its_hash(
        world: World, backend: Backend) -> None:
    cr = await world.propose("high", submit=False)
    payload = "x" * 201

    await world.engine.edit(cr.id, "req", content=replace(cr.content, payload=payload),
                            metadata=replace(cr.metadata, labels=("env=lab",)))
    with pytest.raises(NotRequester):  # a draft's refusal carries the version in force too
        await world.engine.submit(cr.id, "x")

    records = [r.record for r in await backend.audit_rows()]
    edited, revised, refused = records[-3:]
    assert refused["kind"] == "refused"
    assert edited["data"]["changes"] == {"labels": {"old": [], "new": ["env=lab"]}}
    assert revised["data"]["payload_sha256"] == sha(payload)
    assert "payload" not in revised["data"] and revised["data"]["labels"] == ["env=lab"]
    assert revised["data"]["fields"] == ["payload"]
    assert {r["policy_version"] for r in records} == {world.policy.version}
