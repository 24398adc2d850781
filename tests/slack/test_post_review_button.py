"""The card's Record review button and its form, end to end through fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.fakeslack.payloads import choice_value, text_value
from bot.slack.inbound.post_review_form import LINKS_BLOCK
from bot.slack.rendering import ids
from tests.slack.harness import POLICY, REQUESTER, SENIOR1, Harness, blocks_text, running_bot
from workflow.post_review import ReviewOutcome

REQUIRED = POLICY.replace("  - {name: low, priority: 40, match: {risk: low}, stages: []}",
                          "  - {name: low, priority: 40, match: {risk: low}, stages: [],\n"
                          "     post_review: required}")
LINK = "https://status.example.net/incidents/7"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    assert REQUIRED != POLICY
    async with running_bot(tmp_path, policy=REQUIRED) as harness:
        yield harness


async def test_the_requester_records_the_review_from_the_card(bot: Harness) -> None:
    cr = await bot.seed(risk="low")
    await bot.engine.apply(cr.id, REQUESTER)
    await bot.settled()
    card = await bot.card(cr.id, shows="Record review")

    refused = await bot.driver.open_form(SENIOR1, card, ids.POST_REVIEW, ids.POST_REVIEW_VIEW)
    assert refused is None
    assert "only the requester" in await bot.ephemeral_for(SENIOR1, "only the requester")
    form = await bot.driver.open_form(REQUESTER, card, ids.POST_REVIEW, ids.POST_REVIEW_VIEW)
    assert form is not None
    blank = await bot.driver.submit(REQUESTER, form, {
        ids.OUTCOME_BLOCK: choice_value("rolled_back"), ids.NOTE_BLOCK: text_value(" ")})
    assert (blank.json or {}).get("response_action") == "errors"
    await bot.driver.submit(REQUESTER, form, {
        ids.OUTCOME_BLOCK: choice_value("rolled_back"),
        ids.NOTE_BLOCK: text_value("peer flapped, undone"),
        LINKS_BLOCK: text_value(f"{LINK}\n")})

    await bot.fake.wait_for(lambda: "Recorded" in blocks_text(form))
    done = await bot.engine.get(cr.id)
    assert done is not None and done.post_review is not None
    assert (done.post_review.outcome, done.post_review.note, done.post_review.links) == (
        ReviewOutcome.ROLLED_BACK, "peer flapped, undone", (LINK,))
    assert done.remind_at is None
