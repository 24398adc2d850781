"""The card's Abort button and its form, end to end through fake Slack: the request shows on
the card and in the thread, and the aborted failure too."""

from __future__ import annotations

from bot.sandbox.fakeslack.payloads import text_value
from bot.slack.rendering import ids
from tests.slack.harness import REQUESTER, SENIOR1, SENIOR2, Harness, blocks_text
from tests.support.reviews import approve_seen
from workflow.model import ApplyStatus, State

OUTSIDER = "U0OUTSIDER"


async def test_an_operator_aborts_from_the_card_and_the_thread_tells_it(bot: Harness) -> None:
    bot.executor.result = None  # the apply runs on and reports later
    bot.executor.abortable = True
    cr = await bot.seed(risk="high")
    for person in (SENIOR1, SENIOR2):
        await approve_seen(bot.engine, cr.id, person)
    await bot.engine.apply(cr.id, REQUESTER)
    await bot.settled()
    card = await bot.card(cr.id, shows="Abort")

    stranger = await bot.driver.open_form(OUTSIDER, card, ids.ABORT, ids.ABORT_VIEW)
    assert stranger is not None
    await bot.driver.submit(OUTSIDER, stranger, {ids.REASON_BLOCK: text_value("mine now")})
    await bot.fake.wait_for(lambda: "can abort its apply" in blocks_text(stranger))
    form = await bot.driver.open_form(SENIOR1, card, ids.ABORT, ids.ABORT_VIEW)
    assert form is not None
    blank = await bot.driver.submit(SENIOR1, form, {ids.REASON_BLOCK: text_value(" ")})
    assert (blank.json or {}).get("response_action") == "errors"
    await bot.driver.submit(SENIOR1, form, {ids.REASON_BLOCK: text_value("peer is flapping")})

    await bot.fake.wait_for(lambda: (bot.executor.aborts == [cr.apply_key()]))
    asked = await bot.engine.get(cr.id)
    assert asked is not None and asked.state is State.EXECUTING
    assert asked.apply is not None and asked.apply.abort_requested_by == SENIOR1
    await bot.thread_has(card, "asked to abort the apply")
    await bot.card(cr.id, shows="abort asked by")
    await bot.engine.record_outcome(cr.id, REQUESTER, None, ApplyStatus.FAILED, "stopped")
    await bot.settled()
    await bot.thread_has(card, "Apply aborted")
    await bot.card(cr.id, shows="Failed (aborted)")
