"""Proposing through /change new and the modal posts the card, its DM copy and the stage mention."""

from __future__ import annotations

import time
from pathlib import Path

from bot.slack.rendering import ids
from tests.slack.harness import (
    CHANNEL,
    CONTRACTOR,
    POLICY,
    REQUESTER,
    Harness,
    blocks_text,
    buttons,
    proposal_values,
    running_bot,
)
from workflow.model import State


async def test_propose_via_modal_posts_the_card(bot: Harness) -> None:
    started = time.monotonic()
    reply = await bot.driver.slash(REQUESTER, "new")
    acked_in = time.monotonic() - started
    assert reply.status == 200
    assert acked_in < 1.0

    form = await bot.modal_for(REQUESTER, "Propose a change",
                               where=lambda v: v.view.get("callback_id") == ids.PROPOSE_VIEW)
    submitted = await bot.driver.submit(REQUESTER, form, proposal_values())
    assert submitted.status == 200
    assert submitted.json["response_action"] == "update"

    card = await bot.card("CHG-1", shows="sha256:")
    text = blocks_text(card)
    assert "Add BGP session to AS65001" in text
    assert "Stage 1 of 1 · Senior review · 0 of 2" in text
    assert buttons(card)[:2] == [ids.APPROVE, ids.REJECT]
    replies = await bot.thread_has(card, "is open")
    assert any("senior-network-engineers" not in r.text and "<@USEN1>" in r.text
               for r in replies)
    done = await bot.modal_for(REQUESTER, "CHG-1")
    assert "pending review" in blocks_text(done)
    dm_copy = await bot.fake.wait_for(lambda: [m for m in bot.fake.messages(REQUESTER)
                                               if m.text.startswith("CHG-1 ")])
    assert ids.WITHDRAW_REQUEST in buttons(dm_copy[0])
    assert bot.executor.dry_runs == ["CHG-1"]


async def test_missing_fields_come_back_as_inline_errors(bot: Harness) -> None:
    await bot.driver.slash(REQUESTER, "")
    form = await bot.modal_for(REQUESTER, "Propose a change")

    reply = await bot.driver.submit(REQUESTER, form, proposal_values(title="  ", target="",
                                                                    schedule=1))

    assert reply.json == {"response_action": "errors", "errors": {
        "title": "Give a title.", "target": "Give a target.",
        "schedule": "Pick a time in the future, or leave it empty."}}
    assert await bot.engine.get("CHG-1") is None
    assert bot.fake.messages(CHANNEL) == []


async def test_a_schedule_past_the_supported_years_is_an_error_in_the_form(bot: Harness) -> None:
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")

    reply = await bot.driver.submit(REQUESTER, form, proposal_values(schedule=10**12))

    assert reply.status == 200
    assert reply.json == {"response_action": "errors", "errors": {
        "schedule": "Pick a time in the years 2000 to 2999 (UTC), or leave it empty."}}
    assert await bot.engine.get("CHG-1") is None


async def test_a_refused_proposal_shows_the_form_again_with_the_reason(bot: Harness) -> None:
    await bot.driver.slash(CONTRACTOR, "new")
    form = await bot.modal_for(CONTRACTOR, "Propose a change")

    await bot.driver.submit(CONTRACTOR, form, proposal_values(family="core-router",
                                                              action="reload"))

    again = await bot.modal_for(CONTRACTOR, "denied by policy")
    assert again.view["callback_id"] == ids.PROPOSE_VIEW
    assert "core-router" in blocks_text(again)  # what was typed is kept
    assert await bot.engine.get("CHG-1") is None


async def test_an_empty_user_group_cannot_currently_be_met(bot: Harness) -> None:
    bot.fake.workspace.usergroups["S01NETENG"].users.clear()
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")

    await bot.driver.submit(REQUESTER, form, proposal_values(risk="medium"))

    card = await bot.card("CHG-1", shows="cannot currently be met")
    assert "network-engineers has 0 eligible people left, 1 needed" in blocks_text(card)


AUTO_LOW = POLICY.replace("{name: low, priority: 40, match: {risk: low}, stages: []}",
                          "{name: low, priority: 40, match: {risk: low}, stages: [], apply: auto}")


async def test_an_auto_applied_change_whose_dry_run_fails_stays_a_consistent_draft(
    tmp_path: Path,
) -> None:
    assert "apply: auto" in AUTO_LOW
    async with running_bot(tmp_path, policy=AUTO_LOW) as bot:
        bot.executor.raise_on_dry_run = RuntimeError("device unreachable")
        await bot.driver.slash(REQUESTER, "new")
        form = await bot.modal_for(REQUESTER, "Propose a change",
                                   where=lambda v: v.view.get("callback_id") == ids.PROPOSE_VIEW)
        await bot.driver.submit(REQUESTER, form, proposal_values(risk="low"))

        told = blocks_text(await bot.modal_for(REQUESTER, "saved as a draft"))
        cr = await bot.engine.get("CHG-1")
        assert cr is not None and cr.state is State.DRAFT and cr.dry_run is None
        assert "device unreachable" in told and "applies by itself" in told
        assert bot.executor.applies == []

        bot.executor.raise_on_dry_run = None  # the same form once the device answers
        await bot.driver.slash(REQUESTER, "new")
        form = await bot.modal_for(REQUESTER, "Propose a change",
                                   where=lambda v: v.view.get("callback_id") == ids.PROPOSE_VIEW
                                   and v.id != form.id)
        await bot.driver.submit(REQUESTER, form, proposal_values(risk="low"))
        await bot.modal_for(REQUESTER, "Change submitted")
        applied = await bot.reaches("CHG-2", State.APPLIED)  # its timer applies it
        assert applied.dry_run is not None and len(bot.executor.applies) == 1


async def test_a_change_needing_no_approval_is_not_announced_for_approvers(bot: Harness) -> None:
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")
    await bot.driver.submit(REQUESTER, form, proposal_values(risk="low"))

    card = await bot.card("CHG-1", shows="Approved")
    done = blocks_text(await bot.modal_for(REQUESTER, "It needs no approval"))

    assert "posted for the approvers" not in done
    assert ids.APPLY in buttons(card)  # the low workflow applies on request
    assert ids.WITHDRAW_APPROVAL not in buttons(card)  # no stage: there is none to withdraw
