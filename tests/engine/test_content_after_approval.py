"""Scenario 39: a title or description edit after approval resets the approvals unless the
workflow keeps them, and the card and its thread show the edit old→new, on every backend."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from bot.slack.outbound.notices import thread_digest
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.render import render_card
from bot.slack.rendering.validate import check_message
from tests.support.backends import Backend
from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen
from tests.support.world import World
from workflow.codec import event_from_dict
from workflow.model import ChangeRequest, State
from workflow.progress import active_stage

RETITLED = "Rollback only - harmless"
KEEPING = SCENARIO_POLICY.replace("  reminder_after: 4h\n",
                                  "  reminder_after: 4h\n  metadata_edits: keep\n")


async def approved(world: World) -> ChangeRequest:
    """A high-risk change by `req`, approved by n1 and n2."""
    cr = await world.propose("high")
    await approve_seen(world.engine, cr.id, "n1")
    cr = await approve_seen(world.engine, cr.id, "n2")
    assert cr.state is State.APPROVED
    return cr


async def records_after(backend: Backend, seq: int) -> list[dict[str, object]]:
    return [dict(r.record) for r in await backend.audit_rows() if r.seq > seq]


async def test_39_an_approved_change_retitled_by_an_author_goes_back_to_stage_1(
        world: World, backend: Backend) -> None:
    cr = await approved(world)
    before = len(await backend.audit_rows())

    cr = await world.engine.edit(cr.id, "req", metadata=replace(cr.metadata, title=RETITLED))

    assert (cr.state, cr.revision, active_stage(cr)) == (State.PENDING_REVIEW, 1, 0)
    assert cr.live_responses() == ()
    assert [r.ended for r in cr.responses] == ["invalidated", "invalidated"]
    records = await records_after(backend, before)
    assert [r["kind"] for r in records] == ["metadata_edited", "approvals_invalidated",
                                            "returned_to_review"]
    edited, invalidated, returned = (r["data"] for r in records)
    assert edited == {"fields": ["title"], "approvals_reset": True,
                      "changes": {"title": {"old": "high change", "new": RETITLED}}}
    assert invalidated["people"] == ["n1", "n2"]  # type: ignore[index]
    assert (invalidated["cause"], returned["reason"]) == ("metadata", "title edited")  # type: ignore[index]

    card = asdict(render_card(cr, CardContext(world.clock.now())))
    check_message(card)
    shown = json.dumps(card["blocks"], ensure_ascii=False)
    assert f"*Title*: “high change” → “{RETITLED}”" in shown
    assert "Approvals given before this edit no longer count" in shown
    [thread] = thread_digest([event_from_dict(r) for r in records])
    assert f"<@req> edited the change:\n• *Title*: “high change” → “{RETITLED}”" in thread
    assert "Title edited after approval: approvals by <@n1>, <@n2> no longer count" in thread

    cr = await approve_seen(world.engine, cr.id, "n1")
    assert cr.state is State.PENDING_REVIEW  # the reset approval counts no more


async def test_a_workflow_that_keeps_approvals_shows_the_edit_and_stays_approved(
        backend: Backend) -> None:
    world = World(uow=backend.uow, policy_text=KEEPING)
    cr = await approved(world)
    description = "now also drops the old session"

    cr = await world.engine.edit(cr.id, "n3", metadata=replace(cr.metadata,
                                                                description=description))

    assert cr.state is State.APPROVED and len(cr.live_responses()) == 2
    [edited] = [r for r in await records_after(backend, 0) if r["kind"] == "metadata_edited"]
    assert edited["data"] == {"fields": ["description"], "approvals_reset": False,
                              "changes": {"description": {"old": "", "new": description}}}
    shown = json.dumps(asdict(render_card(cr, CardContext(world.clock.now())))["blocks"],
                       ensure_ascii=False)
    assert f"*Description*: _none_ → “{description}”" in shown
    assert "no longer count" not in shown


async def test_the_snapshot_decides_whatever_a_reload_says_later(backend: Backend) -> None:
    world = World(uow=backend.uow)
    cr = await approved(world)
    world.use_policy(KEEPING)

    cr = await world.engine.edit(cr.id, "req", metadata=replace(cr.metadata, title=RETITLED))

    assert cr.state is State.PENDING_REVIEW and cr.live_responses() == ()


async def test_partial_approvals_reset_and_a_ticket_edit_keeps_them(world: World) -> None:
    cr = await world.propose("high")
    cr = await approve_seen(world.engine, cr.id, "n1")

    cr = await world.engine.edit(cr.id, "req", metadata=replace(cr.metadata, ticket="INC-7"))
    assert [r.person for r in cr.live_responses()] == ["n1"]
    cr = await world.engine.edit(cr.id, "x", metadata=replace(cr.metadata, description="why"))
    assert cr.state is State.PENDING_REVIEW and cr.live_responses() == ()
    assert cr.metadata_edit is not None and cr.metadata_edit.approvals_reset
