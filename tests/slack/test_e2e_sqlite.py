"""The main flows again with the production storage: SQLite, delivered by the durable relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.slack.rendering import ids
from tests.slack.harness import (
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
    buttons,
    proposal_values,
    running_bot,
)


@pytest.fixture
async def sql_bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, storage="sqlite") as harness:
        yield harness


async def test_propose_approve_and_home_on_sqlite(sql_bot: Harness) -> None:
    bot = sql_bot
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")
    await bot.driver.submit(REQUESTER, form, proposal_values())
    card = await bot.card("CHG-1", shows="sha256:")

    await bot.approve(SENIOR1, card)
    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    await bot.approve(SENIOR2, card)
    card = await bot.card("CHG-1", shows="Approved")

    assert ids.APPROVE not in buttons(card)
    assert "audit #" in blocks_text(card)
    await bot.thread_has(card, "<@USEN2> approved")
    await bot.settled()
    home = bot.fake.home(SENIOR1)
    assert home is not None and "Recently decided* (1)" in blocks_text(home)


async def test_refusal_and_reject_on_sqlite(sql_bot: Harness) -> None:
    bot = sql_bot
    await bot.seed()
    card = await bot.card("CHG-1")

    await bot.approve(REQUESTER, card)
    assert await bot.ephemeral_for(REQUESTER, "another approver must review it")
    await bot.driver.click(SENIOR1, card, ids.REJECT)
    modal = await bot.modal_for(SENIOR1, "Reject CHG-1")
    await bot.driver.submit(SENIOR1, modal, {"reason": {"value": {
        "type": "plain_text_input", "value": "not in the freeze window"}}})

    card = await bot.card("CHG-1", shows="Rejected by <@USEN1>")
    assert buttons(card) == [ids.EDIT, ids.COPY, ids.VIEW_CHANGE]  # revise it, or start anew
    denial = "Seniors review on weekdays; resubmit &lt;with&gt; the peer's ASN"  # the stage's
    replies = await bot.thread_has(card, "rejected it")
    assert any(denial in r.text for r in replies if "not in the freeze window" in r.text)
    told = await bot.fake.wait_for(lambda: [m.text for m in bot.fake.messages(REQUESTER)
                                            if "rejected it" in m.text])
    assert denial in told[0]
