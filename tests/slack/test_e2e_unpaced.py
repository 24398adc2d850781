"""The bot unpaced (CHANGEGATE's pacing_s 0, no SlackPacer), against a fake Slack that keeps no
limits: every card copy follows its change through chat.update, none through a click's
response_url. The other end-to-end suites run paced, as `serve` does (tests/slack/harness.py);
this one keeps the unpaced mode working, and the last test shows what pacing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.slack.rendering import ids
from tests.slack.harness import (
    CHANNEL,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
    buttons,
    proposal_values,
    running_bot,
)
from workflow.model import State

UPDATE = "chat.update"


@pytest.fixture
async def unpaced(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, paced=False) as harness:
        yield harness


async def propose(bot: Harness) -> str:
    """/change new and the proposal form, as a person fills it in; the change's id."""
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change",
                               where=lambda v: v.view.get("callback_id") == ids.PROPOSE_VIEW)
    await bot.driver.submit(REQUESTER, form, proposal_values())
    await bot.card("CHG-1", shows="sha256:")
    return "CHG-1"


async def test_unpaced_propose_then_two_approvals_show_on_the_card_in_place(
        unpaced: Harness) -> None:
    bot = unpaced
    change_id = await propose(bot)
    card = await bot.card(change_id, shows="Stage 1 of 1 · Senior review · 0 of 2")

    assert "You approved revision 1 of *CHG-1*" in await bot.approve(SENIOR1, card)
    card = await bot.card(change_id, shows="1 of 2: <@USEN1>")
    await bot.approve(SENIOR2, card)
    card = await bot.card(change_id, shows="Approved")
    await bot.settled()

    assert "2 of 2: <@USEN1>, <@USEN2>" in blocks_text(card)
    assert ids.APPLY in buttons(card) and ids.APPROVE not in buttons(card)
    assert [m.ts for m in bot.fake.messages(CHANNEL)] == [card.ts]  # updated, never re-posted
    to_card = [c for c in bot.fake.calls_to(UPDATE) if c.args["ts"] == card.ts]
    assert to_card and not bot.fake.calls_to("response_url")  # chat.update alone, unpaced
    assert bot.pacing is None and bot.fake.limits is None
    assert (await bot.engine.get(change_id)).state is State.APPROVED  # type: ignore[union-attr]


async def test_unpaced_reject_settles_the_card(unpaced: Harness) -> None:
    bot = unpaced
    change_id = await propose(bot)
    card = await bot.card(change_id)
    await bot.driver.click(SENIOR1, card, ids.REJECT)
    modal = await bot.modal_for(SENIOR1, "Reject CHG-1")

    await bot.driver.submit(SENIOR1, modal, {"reason": {"value": {
        "type": "plain_text_input", "value": "the rollback plan misses edge-2"}}})

    card = await bot.card(change_id, shows="Rejected by <@USEN1>")
    assert buttons(card) == [ids.EDIT, ids.COPY, ids.VIEW_CHANGE]
    await bot.thread_has(card, "<@USEN1> rejected it")
    assert not bot.fake.calls_to("response_url")
    assert (await bot.engine.get(change_id)).state is State.REJECTED  # type: ignore[union-attr]


async def test_paced_the_same_approval_keeps_slacks_limits_by_the_test_clock(
        bot: Harness) -> None:
    """The default: Slack's limits kept by bot and fake on one clock that moves only as the
    bot waits (a post a second per channel), so nothing is refused and no wall time passes;
    the clicked card is updated once, by its click's response_url or chat.update."""
    assert bot.pacing is not None and bot.fake.limits is not None
    started = bot.pacing.now
    change_id = await propose(bot)
    card = await bot.card(change_id)
    await bot.settled()

    def updates() -> int:
        return (len([c for c in bot.fake.calls_to(UPDATE) if c.args["ts"] == card.ts])
                + len(bot.fake.calls_to("response_url")))

    before = updates()
    await bot.approve(SENIOR1, card)
    card = await bot.card(change_id, shows="1 of 2: <@USEN1>")
    await bot.settled()

    assert updates() - before == 1
    assert bot.fake.limits.refusals == []
    assert bot.pacing.now - started >= 1.0  # the card's thread waited its turn in the channel
