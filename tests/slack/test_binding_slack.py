"""What the approver was shown is what counts, on every Slack surface (scenario 35): a card drawn,
a form opened, or a bulk list shown before any dry-run never approves the dry-run recorded after
it; each is refused `digest_changed` and nothing is counted."""

from __future__ import annotations

from bot.sandbox.fakeslack.payloads import text_value
from bot.slack.rendering import ids
from tests.slack.harness import REQUESTER, SENIOR1, Harness, blocks_text
from tests.slack.test_bulk_review import start, summary_for, ticked
from workflow.model import ChangeRequest, Content, Metadata, Risk

LATER_OUTPUT = "+ neighbor 192.0.2.1 remote-as 65001"


async def undry(bot: Harness, title: str = "Add BGP session") -> ChangeRequest:
    """A submitted change whose card is drawn before any dry-run."""
    content = Content("bgp", "add", "edge-1", Risk.HIGH, "neighbor 192.0.2.1", "no neighbor")
    cr = await bot.engine.propose(REQUESTER, content, Metadata(title), submit=True)
    assert cr.dry_run is None
    await bot.card(cr.id)
    return cr


async def counted(bot: Harness, change_id: str) -> int:
    cr = await bot.engine.get(change_id)
    assert cr is not None
    return len(cr.live_responses())


async def test_35_a_form_opened_before_the_dry_run_is_refused_once_one_is_recorded(
        bot: Harness) -> None:
    cr = await undry(bot)
    card = await bot.card(cr.id)
    form = await bot.driver.open_form(SENIOR1, card, ids.APPROVE, ids.APPROVE_VIEW)
    assert form is not None and "There is no dry-run yet" in blocks_text(form)

    await bot.engine.record_dry_run(cr.id, REQUESTER, LATER_OUTPUT)
    await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value("")})

    said = await bot.fake.wait_for(
        lambda: "changed since you saw no dry-run" in blocks_text(form) and blocks_text(form))
    assert "digest" not in said or "sha256:" in said
    assert await counted(bot, cr.id) == 0


async def test_35_a_card_clicked_after_the_dry_run_landed_but_before_its_redraw_is_refused(
        bot: Harness) -> None:
    cr = await undry(bot)
    drawn = await bot.card(cr.id)  # the card as the approver sees it: no dry-run
    await bot.engine.record_dry_run(cr.id, REQUESTER, LATER_OUTPUT)

    said = await bot.approve(SENIOR1, drawn)

    assert "changed since you saw no dry-run" in said
    assert await counted(bot, cr.id) == 0


async def test_35_a_bulk_list_shown_before_the_dry_run_is_refused_for_that_change(
        bot: Harness) -> None:
    cr = await undry(bot, title="Move edge-9")
    await bot.settled()
    confirm = await start(bot, SENIOR1, "approve", "Move edge-9")
    await bot.engine.record_dry_run(cr.id, REQUESTER, LATER_OUTPUT)

    await bot.driver.submit(SENIOR1, confirm, {**ticked(confirm),
                                               ids.COMMENT_BLOCK: text_value("")})

    summary = await summary_for(bot, SENIOR1, "changed since you saw no dry-run")
    assert f"*{cr.id}*" in summary
    assert await counted(bot, cr.id) == 0
