"""Forms keep what was typed (issue 27, item 5): a refusal about one field is shown under it,
any other at the top of the same form filled in as submitted; a comment typed into a decision
its author may not make is offered to be posted as a comment; a decision slower than Slack
allows still ends in the form as typed. `/change apply` asks what the card's Apply asks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.fakeslack.payloads import choice_value, text_value
from bot.sandbox.fakeslack.state import ViewRecord
from bot.slack.inbound import decided
from bot.slack.inbound.decided import field_errors
from bot.slack.inbound.post_review_form import LINKS_BLOCK, recorded_text
from bot.slack.rendering import ids
from bot.slack.rendering.modals import REFUSED_BLOCK
from tests.slack.harness import (
    ENGINEER,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
    refused_in,
)
from tests.support.reviews import approve_seen
from workflow.errors import CommentRequired, InvalidInput, NotEligible
from workflow.post_review import ReviewOutcome

COMMENT = "checked the neighbor's AS <65001> twice"


def element(view: ViewRecord, block_id: str) -> dict[str, Any]:
    block = next(b for b in view.view["blocks"] if b.get("block_id") == block_id)
    found: dict[str, Any] = block["element"]
    return found


async def comments_of(bot: Harness, change_id: str) -> list[tuple[str, str]]:
    cr = await bot.engine.get(change_id)
    assert cr is not None
    return [(c.person, c.text) for c in cr.comments]


async def test_a_non_approvers_comment_is_offered_as_a_comment_never_lost(bot: Harness) -> None:
    cr = await bot.seed()
    card = await bot.card(cr.id)
    form = await bot.driver.open_form(ENGINEER, card, ids.APPROVE, ids.APPROVE_VIEW)
    assert form is not None

    reply = await bot.driver.submit(ENGINEER, form, {ids.COMMENT_BLOCK: text_value(COMMENT)})

    assert (reply.json or {}).get("response_action") == "update"
    assert form.view["callback_id"] == ids.COMMENT_VIEW and refused_in(form)
    said = blocks_text(form)
    assert "senior-network-engineers" in said and "Nothing was recorded" in said
    assert element(form, ids.COMMENT_BLOCK)["initial_value"] == COMMENT
    after = await bot.engine.get(cr.id)
    assert after is not None and after.live_responses() == () and after.comments == ()

    await bot.driver.submit(ENGINEER, form, {ids.COMMENT_BLOCK: text_value(COMMENT)})

    await bot.fake.wait_for(lambda: "Your comment is in the thread" in blocks_text(form))
    assert await comments_of(bot, cr.id) == [(ENGINEER, COMMENT)]
    await bot.thread_has(card, "twice")


async def test_a_refusal_without_a_comment_keeps_the_same_form(bot: Harness) -> None:
    cr = await bot.seed()
    card = await bot.card(cr.id)
    form = await bot.driver.open_form(ENGINEER, card, ids.APPROVE, ids.APPROVE_VIEW)
    assert form is not None
    shown = [b for b in form.view["blocks"]]

    await bot.driver.submit(ENGINEER, form, {ids.COMMENT_BLOCK: text_value("")})
    await bot.driver.submit(ENGINEER, form, {ids.COMMENT_BLOCK: text_value("")})

    assert form.view["callback_id"] == ids.APPROVE_VIEW
    blocks = form.view["blocks"]
    assert [b.get("block_id") for b in blocks].count(REFUSED_BLOCK) == 1  # replaced, not piled
    assert blocks[0]["text"]["text"].startswith(":no_entry: ")
    assert "senior-network-engineers" in blocks[0]["text"]["text"]
    assert [b["type"] for b in blocks[1:]] == [b["type"] for b in shown]


async def test_a_stale_dry_run_keeps_the_approval_form_and_its_comment(bot: Harness) -> None:
    cr = await bot.seed()
    card = await bot.card(cr.id)
    form = await bot.driver.open_form(SENIOR1, card, ids.APPROVE, ids.APPROVE_VIEW)
    assert form is not None
    bot.clock.advance(minutes=31)

    await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value(COMMENT)})

    assert form.view["callback_id"] == ids.APPROVE_VIEW and refused_in(form)
    assert "31m old (limit 30m)" in blocks_text(form)
    assert element(form, ids.COMMENT_BLOCK)["initial_value"] == COMMENT
    assert form.view["private_metadata"] != "" and "submit" in form.view


async def test_a_bad_post_review_link_is_flagged_under_the_links(bot: Harness) -> None:
    cr = await bot.seed(risk="low")
    await bot.engine.apply(cr.id, REQUESTER)
    await bot.settled()
    card = await bot.card(cr.id, shows="Record review")
    form = await bot.driver.open_form(REQUESTER, card, ids.POST_REVIEW, ids.POST_REVIEW_VIEW)
    assert form is not None
    before = dict(form.view)

    reply = await bot.driver.submit(REQUESTER, form, {
        ids.OUTCOME_BLOCK: choice_value("rolled_back"), ids.NOTE_BLOCK: text_value("undone"),
        LINKS_BLOCK: text_value("https://status.example.net/7\n\nftp://old.example.net/x")})

    assert reply.json == {"response_action": "errors", "errors": {LINKS_BLOCK: (
        "Link 2: must be an http(s) address of at most 500 characters without spaces")}}
    assert form.view == before  # Slack keeps the form, and what was typed into it
    done = await bot.engine.get(cr.id)
    assert done is not None and done.post_review is None


async def test_a_refusal_after_not_recorded_yet_still_ends_in_the_form_as_typed(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decided, "DECIDE_WITHIN_S", 0.0)  # every decision is "too slow"
    cr = await bot.seed()
    card = await bot.card(cr.id)
    form = await bot.driver.open_form(SENIOR1, card, ids.APPROVE, ids.APPROVE_VIEW)
    assert form is not None
    bot.clock.advance(minutes=31)

    reply = await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value(COMMENT)})

    assert decided.NOT_RECORDED in str(reply.json)
    await bot.fake.wait_for(lambda: refused_in(form))
    assert form.view["callback_id"] == ids.APPROVE_VIEW
    assert "31m old (limit 30m)" in blocks_text(form)
    assert element(form, ids.COMMENT_BLOCK)["initial_value"] == COMMENT


async def test_approved_forms_still_say_what_was_recorded(bot: Harness) -> None:
    cr = await bot.seed()
    card = await bot.card(cr.id)

    said = await bot.approve(SENIOR1, card, COMMENT)

    assert f"You approved revision 1 of *{cr.id}*" in said and REFUSED_BLOCK not in said


async def test_apply_from_the_command_is_refused_at_once_when_nobody_may_apply(
        bot: Harness) -> None:
    cr = await bot.seed()

    await bot.driver.slash(REQUESTER, f"apply {cr.id}")

    said = await bot.ephemeral_for(REQUESTER, "cannot apply")
    assert said == f":no_entry: cannot apply: {cr.id} is pending review"
    for person in (SENIOR1, SENIOR2):
        await approve_seen(bot.engine, cr.id, person)
    await bot.driver.slash(REQUESTER, f"apply {cr.id}")
    await bot.ephemeral_for(REQUESTER, "it asks you to confirm")
    after = await bot.engine.get(cr.id)
    assert after is not None and after.apply is None  # offered, never applied unasked


def test_refusals_about_one_field_name_it() -> None:
    fields = {"links": LINKS_BLOCK, "comment_required": ids.REASON_BLOCK}

    assert field_errors(InvalidInput("links", "give at most 10 links, not 11"), fields) == {
        LINKS_BLOCK: "Give at most 10 links, not 11"}
    assert field_errors(CommentRequired("a rejection needs a reason"), fields) == {
        ids.REASON_BLOCK: "A rejection needs a reason"}
    assert field_errors(NotEligible("not in the group"), fields) == {}
    assert field_errors(InvalidInput("note", "say what happened"), fields) == {}
    assert field_errors(None, fields) == {}


@pytest.mark.parametrize(("outcome", "said"), [
    (ReviewOutcome.SUCCESSFUL, "Recorded: *CHG-4* was successful."),
    (ReviewOutcome.SUCCESSFUL_WITH_ISSUES, "Recorded: *CHG-4* was successful, with issues."),
    (ReviewOutcome.ROLLED_BACK, "Recorded: *CHG-4* was rolled back."),
    (ReviewOutcome.FAILED, "Recorded: *CHG-4* failed."),
])
def test_a_recorded_review_reads_as_english(outcome: ReviewOutcome, said: str) -> None:
    assert recorded_text("CHG-4", outcome) == said
