"""Approve, refuse, reject, re-run and withdraw from the card, over real HTTP against fake Slack."""

from __future__ import annotations

import copy

from bot.slack.inbound.submissions import BLANK_REASON
from bot.slack.rendering import ids
from tests.slack.harness import (
    CHANNEL,
    ENGINEER,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
    buttons,
)
from workflow.model import State


async def test_two_seniors_approve_and_the_card_shows_it_in_place(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")

    assert "You approved revision 1 of *CHG-1*" in await bot.approve(SENIOR1, card)
    card = await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    await bot.approve(SENIOR2, card, "checked <the> neighbor")
    card = await bot.card("CHG-1", shows="Approved")

    assert "2 of 2: <@USEN1>, <@USEN2>" in blocks_text(card)
    assert ids.APPROVE not in buttons(card)
    assert ids.APPLY in buttons(card)
    assert [m.ts for m in bot.fake.messages(CHANNEL)] == [card.ts]  # updated, never re-posted
    replies = await bot.thread_has(card, "<@USEN2> approved")
    assert any("<@USEN1> approved" in r.text for r in replies)
    assert any("> checked &lt;the&gt; neighbor" in r.text for r in replies)
    told = await bot.fake.wait_for(lambda: [m.text for m in bot.fake.messages(REQUESTER)
                                            if "*Approved*" in m.text])
    assert "CHG-1" in told[0]
    assert (await bot.engine.get("CHG-1")).state is State.APPROVED  # type: ignore[union-attr]


async def test_self_approval_is_refused_ephemerally_and_nothing_changes(bot: Harness) -> None:
    await bot.seed()
    await bot.settled()
    card = await bot.card("CHG-1")
    before = (card.edits, blocks_text(card), len(bot.fake.thread(CHANNEL, card.ts)))

    reply = await bot.driver.click(REQUESTER, card, ids.APPROVE)
    refusal = await bot.ephemeral_for(REQUESTER, "another approver must review it")
    await bot.settled()

    assert reply.status == 200
    assert refusal.startswith(":no_entry:")
    assert (card.edits, blocks_text(card), len(bot.fake.thread(CHANNEL, card.ts))) == before
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.live_responses() == ()


async def test_a_person_outside_the_stage_is_refused(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")

    assert "senior-network-engineers" in await bot.approve(ENGINEER, card)


async def test_reject_needs_a_reason_inline_then_settles_the_card(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.driver.click(SENIOR1, card, ids.REJECT)
    modal = await bot.modal_for(SENIOR1, "Reject CHG-1")

    blank = await bot.driver.submit(SENIOR1, modal, {"reason": {"value": {
        "type": "plain_text_input", "value": "   "}}})
    assert blank.json == {"response_action": "errors", "errors": {"reason": BLANK_REASON}}
    assert (await bot.engine.get("CHG-1")).state is State.PENDING_REVIEW  # type: ignore[union-attr]

    await bot.driver.submit(SENIOR1, modal, {"reason": {"value": {
        "type": "plain_text_input", "value": "the rollback plan misses <edge-2>"}}})
    card = await bot.card("CHG-1", shows="Rejected by <@USEN1>")

    assert buttons(card) == [ids.EDIT, ids.COPY, ids.VIEW_CHANGE]  # revise it, or start anew
    assert "&lt;edge-2&gt;" in blocks_text(card)
    await bot.thread_has(card, "<@USEN1> rejected it")
    await bot.fake.wait_for(lambda: [m for m in bot.fake.messages(REQUESTER)
                                     if "rejected it" in m.text])
    assert "You rejected *CHG-1*" in blocks_text(await bot.modal_for(SENIOR1, "You rejected"))


async def test_stale_dry_run_is_refused_with_a_rerun_hint_then_rerun_and_approve(
    bot: Harness,
) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    bot.clock.advance(minutes=31)

    await bot.driver.click(SENIOR1, card, ids.APPROVE)
    form = await bot.modal_for(SENIOR1, "Approve CHG-1")
    bot.fake.close_view(form)
    refusal = await bot.approve(SENIOR1, card)
    await bot.driver.click(SENIOR1, card, ids.RERUN_DRY_RUN)
    await bot.thread_has(card, "(same output as before)")
    await bot.approve(SENIOR1, card)

    assert "is stale: the approval is refused until it is re-run" in blocks_text(form)
    assert "31m old (limit 30m)" in refusal
    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    assert bot.executor.dry_runs == ["CHG-1"]


async def test_withdrawn_approval_returns_the_card_to_pending(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.approve(SENIOR1, card)
    await bot.card("CHG-1", shows="1 of 2")
    await bot.approve(SENIOR2, card)
    card = await bot.card("CHG-1", shows="Approved")

    done = await bot.withdraw_approval(SENIOR1, card, "the window moved")

    assert "You withdrew your approval of *CHG-1*" in done
    card = await bot.card("CHG-1", shows="Pending review")
    assert "1 of 2: <@USEN2>" in blocks_text(card)
    assert ids.APPROVE in buttons(card)
    replies = await bot.thread_has(card, "Back in review")
    assert any("withdrew their approval" in r.text and "> the window moved" in r.text
               for r in replies)


async def test_withdrawing_an_approval_never_given_is_refused_before_any_form(
    bot: Harness,
) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")

    refusal = await bot.withdraw_approval(SENIOR1, card)

    assert "no approval on revision 1 of CHG-1 to withdraw" in refusal
    assert not [v for v in bot.fake.open_views(SENIOR1)
                if v.view.get("callback_id") == ids.WITHDRAW_VIEW]


async def test_requester_withdraws_from_the_dm_copy_and_every_copy_settles(bot: Harness) -> None:
    await bot.seed()
    dm = await bot.fake.wait_for(lambda: [m for m in bot.fake.messages(REQUESTER)
                                          if m.text.startswith("CHG-1 ")])

    await bot.driver.click(REQUESTER, dm[0], ids.WITHDRAW_REQUEST)

    card = await bot.card("CHG-1", shows="Withdrawn by <@UREQ>")
    assert buttons(card) == [ids.COPY, ids.VIEW_CHANGE]  # nothing left but to start anew
    copy = await bot.fake.wait_for(lambda: [
        m for m in bot.fake.messages(REQUESTER)
        if m.text.startswith("CHG-1 ") and buttons(m) == [ids.COPY, ids.VIEW_CHANGE]])
    assert "Withdrawn" in copy[0].text


async def test_a_button_from_an_older_revision_is_refused(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    stale = type(card)(card.channel, card.ts, card.text, [
        {**b, "elements": [{**e, "value": e["value"].replace("CHG-1:1:", "CHG-1:7:")}
                           for e in b["elements"]]}
        if b["type"] == "actions" else b for b in card.blocks], card.user)

    assert "revision 1 now, not the revision 7" in await bot.approve(SENIOR1, stale)


async def test_a_button_that_names_no_revision_is_refused(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    bare = type(card)(card.channel, card.ts, card.text, [
        {**b, "elements": [{**e, "value": "CHG-1"} for e in b["elements"]]}
        if b["type"] == "actions" else b for b in card.blocks], card.user)

    assert "does not say which revision" in await bot.approve(SENIOR1, bare)
    assert (await bot.engine.get("CHG-1")).live_responses() == ()


async def test_a_rate_limited_update_is_retried_after_retry_after(bot: Harness) -> None:
    await bot.seed()
    await bot.settled()
    card = await bot.card("CHG-1")
    bot.fake.fail_next("chat.update", retry_after=0)

    await bot.approve(SENIOR1, card)

    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    statuses = [c.status for c in bot.fake.calls_to("chat.update")]
    assert 429 in statuses
    assert statuses[statuses.index(429) + 1] == 200


async def test_view_dry_run_and_comment_open_their_modals(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")

    await bot.driver.click(SENIOR1, card, ids.VIEW_DRY_RUN)
    dry_run = await bot.modal_for(SENIOR1, "Dry-run CHG-1")
    await bot.driver.click(SENIOR2, card, ids.COMMENT)
    comment = await bot.modal_for(SENIOR2, "Comment on CHG-1")
    await bot.driver.submit(SENIOR2, comment, {"text": {"value": {
        "type": "plain_text_input", "value": "looks fine to me"}}})

    assert "neighbor 192.0.2.1 remote-as 65001" in blocks_text(dry_run)
    await bot.thread_has(card, "looks fine to me")
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.live_responses() == ()


async def test_a_reminder_mentions_the_stage_approvers_again(bot: Harness) -> None:
    cr = await bot.seed()
    card = await bot.card("CHG-1")
    bot.clock.advance(hours=4, minutes=1)

    await bot.engine.fire_deadline(cr.id)

    replies = await bot.thread_has(card, "Reminder")
    reminder = next(r for r in replies if "Reminder" in r.text)
    assert "<@USEN1>" in reminder.text
    assert reminder.reply_broadcast


async def test_a_long_dry_run_pages_inside_its_modal(bot: Harness) -> None:
    bot.executor.dry_run_output = "\n".join(f"+ route {n} via <core>" for n in range(4000))
    await bot.seed()
    card = await bot.card("CHG-1")

    await bot.driver.click(SENIOR1, card, ids.VIEW_DRY_RUN)
    first = await bot.modal_for(SENIOR1, "Page 1 of")
    await bot.driver.click_in_view(SENIOR1, first, f"{ids.DRY_RUN_PAGE}_next")

    second = await bot.modal_for(SENIOR1, "Page 2 of")
    assert second.id == first.id  # updated in place
    assert "+ route 0 via" not in blocks_text(second)
    assert "+ route 1500 via &lt;core&gt;" in blocks_text(second)


async def test_an_approve_click_on_a_dry_run_that_changed_since_is_refused(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    seen = copy.deepcopy(card)  # the card as the approver saw it, before it is updated
    bot.executor.dry_run_output = "+ neighbor 192.0.2.1 remote-as 65002"
    rerun = await bot.engine.run_dry_run("CHG-1", REQUESTER)
    assert rerun.dry_run is not None

    refusal = await bot.approve(SENIOR1, seen)

    assert "changed since you saw" in refusal
    assert f"sha256:{rerun.dry_run.digest[:12]}" in refusal
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.live_responses() == ()


async def test_view_change_opens_the_whole_change_with_its_history_paged(bot: Harness) -> None:
    bot.executor.dry_run_output = "\n".join(f"+ route {n} via <core>" for n in range(4000))
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.approve(SENIOR1, card, "peer confirmed")
    card = await bot.card("CHG-1", shows="1 of 2")
    assert "neighbor 192.0.2.1" in blocks_text(card)  # the payload, on the card itself

    await bot.driver.click(SENIOR2, card, ids.VIEW_CHANGE)
    modal = await bot.modal_for(SENIOR2, "Change CHG-1")
    first = blocks_text(modal)
    while "Review history" not in blocks_text(modal):  # page to the end, one view updated
        shown = blocks_text(modal)
        await bot.driver.click_in_view(SENIOR2, modal, f"{ids.CHANGE_PAGE}_next")
        await bot.fake.wait_for(lambda shown=shown: blocks_text(modal) != shown)
        assert [v.id for v in bot.fake.open_views(SENIOR2)] == [modal.id]

    assert "*Payload*" in first and "no neighbor 192.0.2.1" in first
    assert "Page 1 of" in first and "+ route 0 via &lt;core&gt;" in first
    last = blocks_text(modal)
    assert "<@USEN1> approved (stage 1)" in last and "peer confirmed" in last
