"""Revise and resubmit from Slack: Edit on the card or `/change edit`, a prefilled form, a new
revision through the engine's edit, its dry-run, Submit, and a fresh review."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.sandbox.fakeslack.payloads import choice_value, datetime_value, text_value
from bot.sandbox.fakeslack.state import ViewRecord
from bot.slack.rendering import ids
from bot.slack.rendering.validate import check_view
from tests.slack.harness import (
    CHANNEL,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    SENIOR3,
    Harness,
    blocks_text,
    buttons,
)
from tests.support.reviews import reject_seen
from workflow.model import Content, Metadata, Risk, State


def prefilled(view: ViewRecord, **typed: str) -> dict[str, dict[str, Any]]:
    """What a person submits after changing only `typed` in a form as it opened."""
    values: dict[str, dict[str, Any]] = {}
    for block in view.view["blocks"]:
        if block["type"] != "input":
            continue
        element, key = block["element"], block["block_id"]
        if element["type"] == "static_select":
            values[key] = choice_value(typed.get(key, element["initial_option"]["value"]))
        elif element["type"] == "datetimepicker":
            values[key] = datetime_value(element.get("initial_date_time"))
        else:
            values[key] = text_value(typed.get(key, element.get("initial_value", "")))
    return values


async def reject_first(bot: Harness) -> None:
    """CHG-1 proposed by the requester, then rejected by a senior with a reason."""
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.driver.click(SENIOR1, card, ids.REJECT)
    modal = await bot.modal_for(SENIOR1, "Reject CHG-1")
    await bot.driver.submit(SENIOR1, modal, {ids.REASON_BLOCK: text_value("use edge-2")})
    await bot.card("CHG-1", shows="Rejected by <@USEN1>")


async def test_rejected_change_is_edited_resubmitted_and_approved(bot: Harness) -> None:
    await reject_first(bot)
    card = await bot.card("CHG-1", shows="Rejected by <@USEN1>")
    assert buttons(card) == [ids.EDIT, ids.COPY, ids.VIEW_CHANGE]

    form = await bot.driver.open_form(REQUESTER, card, ids.EDIT, ids.EDIT_VIEW)
    assert form is not None
    check_view(form.view)
    shown = prefilled(form)
    assert shown["target"] == text_value("edge-1")
    assert shown["payload"] == text_value("neighbor 192.0.2.1")
    assert shown["ticket"] == text_value("CHG-3192")
    assert shown["risk"] == choice_value("high")
    assert "not an author" not in blocks_text(form)

    saved = await bot.driver.submit(REQUESTER, form, prefilled(form, target="edge-2"))
    assert saved.json["response_action"] == "update"
    done = await bot.modal_for(REQUESTER, "now revision 2")
    check_view(done.view)
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.state is State.DRAFT and cr.revision == 2
    assert cr.content.target == "edge-2"
    assert cr.dry_run is not None and cr.dry_run.revision == 2  # the new revision's dry-run ran
    assert bot.executor.dry_runs[-1] == "CHG-1"

    draft = await bot.card("CHG-1", shows="edited by <@UREQ>")
    assert "Revision" in blocks_text(draft) and "2, edited by" in blocks_text(draft)
    assert buttons(draft)[:2] == [ids.EDIT, ids.SUBMIT]
    await bot.thread_has(draft, "made revision 2")

    await bot.driver.click(REQUESTER, draft, ids.SUBMIT)
    pending = await bot.card("CHG-1", shows="Stage 1 of 1 · Senior review · 0 of 2")
    assert buttons(pending)[:2] == [ids.APPROVE, ids.REJECT]
    assert "You approved revision 2" in await bot.approve(SENIOR2, pending)
    assert "You approved revision 2" in await bot.approve(SENIOR3, pending)
    approved = await bot.engine.get("CHG-1")
    assert approved is not None and approved.state is State.APPROVED
    assert approved.revision == 2


async def test_saving_the_form_unchanged_makes_no_revision(bot: Harness) -> None:
    await reject_first(bot)
    card = await bot.card("CHG-1", shows="Rejected")
    form = await bot.driver.open_form(REQUESTER, card, ids.EDIT, ids.EDIT_VIEW)
    assert form is not None

    await bot.driver.submit(REQUESTER, form, prefilled(form))

    assert "Nothing changed" in blocks_text(await bot.modal_for(REQUESTER, "Nothing changed"))
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.revision == 1 and cr.state is State.REJECTED


async def test_a_revision_made_while_the_form_was_open_is_never_replaced_unseen(
    bot: Harness,
) -> None:
    await reject_first(bot)
    card = await bot.card("CHG-1", shows="Rejected")
    form = await bot.driver.open_form(REQUESTER, card, ids.EDIT, ids.EDIT_VIEW)
    assert form is not None
    cr = await bot.engine.get("CHG-1")
    assert cr is not None
    await bot.engine.edit("CHG-1", SENIOR2, replace(cr.content, target="edge-3"))

    await bot.driver.submit(REQUESTER, form, prefilled(form, target="edge-2"))

    again = await bot.modal_for(REQUESTER, "not the revision 1 you edited")
    assert "Editing revision 2" in blocks_text(again)  # saving this form replaces revision 2
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.revision == 2 and cr.content.target == "edge-3"


async def test_someone_else_pressing_edit_is_warned_that_saving_makes_them_an_author(
    bot: Harness,
) -> None:
    await reject_first(bot)
    card = await bot.card("CHG-1", shows="Rejected")

    form = await bot.driver.open_form(SENIOR2, card, ids.EDIT, ids.EDIT_VIEW)

    assert form is not None
    assert "You are not an author of CHG-1" in blocks_text(form)
    await bot.driver.submit(SENIOR2, form, prefilled(form, payload="neighbor 192.0.2.9"))
    await bot.modal_for(SENIOR2, "now revision 2")
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and SENIOR2 in cr.authors


async def test_a_card_under_review_offers_no_edit(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    assert ids.EDIT not in buttons(card)

    await bot.driver.slash(REQUESTER, "edit CHG-1 now")
    assert await bot.ephemeral_for(REQUESTER, "`edit` needs one change id")


async def test_change_edit_opens_the_same_form(bot: Harness) -> None:
    await reject_first(bot)

    await bot.driver.slash(REQUESTER, "edit chg-1")

    form = await bot.modal_for(REQUESTER, "Edit CHG-1",
                               where=lambda v: v.view.get("callback_id") == ids.EDIT_VIEW)
    assert prefilled(form)["target"] == text_value("edge-1")


async def test_change_edit_of_a_change_that_cannot_be_edited_says_why(bot: Harness) -> None:
    cr = await bot.seed(risk="low")
    await bot.engine.apply(cr.id, REQUESTER)
    applied = await bot.engine.get(cr.id)
    assert applied is not None and applied.state is State.APPLIED

    await bot.driver.slash(REQUESTER, f"edit {cr.id}")
    await bot.driver.slash(REQUESTER, "edit CHG-404")

    assert await bot.ephemeral_for(REQUESTER, f"cannot edit: {cr.id} is already applied")
    assert await bot.ephemeral_for(REQUESTER, "CHG-404 does not exist")
    assert not [v for v in bot.fake.open_views(REQUESTER)
                if v.view.get("callback_id") == ids.EDIT_VIEW]


async def test_change_submit_sends_a_draft_for_review(bot: Harness) -> None:
    await reject_first(bot)
    await bot.driver.slash(REQUESTER, "edit CHG-1")
    form = await bot.modal_for(REQUESTER, "Edit CHG-1",
                               where=lambda v: v.view.get("callback_id") == ids.EDIT_VIEW)
    await bot.driver.submit(REQUESTER, form, prefilled(form, rollback_plan="no neighbor"))
    await bot.modal_for(REQUESTER, "now revision 2")

    await bot.driver.slash(SENIOR1, "submit CHG-1")
    assert "requester or an author" in await bot.ephemeral_for(SENIOR1, "submit it")
    await bot.driver.slash(REQUESTER, "submit CHG-1", channel=CHANNEL)

    assert await bot.ephemeral_for(REQUESTER, "You submitted CHG-1; it is pending review")


async def test_a_payload_longer_than_a_form_holds_is_sent_to_the_cli(bot: Harness) -> None:
    content = Content("bgp", "add", "edge-1", Risk.HIGH, "x" * 200_000, "undo")
    cr = await bot.engine.propose(REQUESTER, content, Metadata("Big"),
                                  dry_run_output="ok", submit=True)
    await reject_seen(bot.engine, cr.id, SENIOR1, "too big to read")
    await bot.settled()
    card = await bot.card(cr.id, shows="Rejected")

    assert await bot.driver.open_form(REQUESTER, card, ids.EDIT, ids.EDIT_VIEW) is None
    told = await bot.ephemeral_for(REQUESTER, "longer than a Slack form holds")
    assert f"payload of {cr.id}" in told and f"changegate edit {cr.id}" in told
