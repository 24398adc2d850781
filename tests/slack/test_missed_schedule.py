"""A change whose schedule passed beyond its late-apply grace offers no Apply: the engine would
refuse it to anyone, so the card says to reschedule instead."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from bot.slack.rendering import ids
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.render import render_card
from tests.slack.harness import REQUESTER, SENIOR1, SENIOR2, Harness, blocks_text, buttons
from tests.support.builders import T0, approved_by, minutes, pending
from workflow.model import ChangeRequest, Content, Metadata, Risk, State
from workflow.timing import schedule_missed


def card_buttons(cr: ChangeRequest, now: datetime) -> list[str]:
    blocks = asdict(render_card(cr, CardContext(now=now)))["blocks"]
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_apply_goes_from_the_card_once_the_grace_has_passed() -> None:
    late = approved_by(pending(scheduled_for=T0 + minutes(5)), "n1", "n2", now=T0 + minutes(10))

    assert late.state is State.APPROVED and not schedule_missed(late, T0 + minutes(10))
    assert ids.APPLY in card_buttons(late, T0 + minutes(10))  # late, within the grace
    assert ids.APPLY not in card_buttons(late, T0 + minutes(21))


def test_a_change_approved_after_its_window_shows_no_apply_and_says_why() -> None:
    missed = approved_by(pending(scheduled_for=T0 + minutes(5)), "n1", "n2",
                         now=T0 + minutes(25))
    card = render_card(missed, CardContext(now=T0 + minutes(25)))

    assert missed.state is State.APPROVED
    assert ids.APPLY not in card_buttons(missed, T0 + minutes(25))
    assert "passed beyond its late-apply grace" in str(card.blocks)
    assert "apply it with *Apply*" not in str(card.blocks)


async def test_the_posted_card_of_a_change_approved_too_late_has_no_apply(bot: Harness) -> None:
    content = Content("bgp", "add", "edge-1", Risk.HIGH, "neighbor 192.0.2.1",
                      "no neighbor 192.0.2.1", bot.clock.now() + timedelta(minutes=5))
    await bot.engine.propose(REQUESTER, content, Metadata("Night window"),
                             dry_run_output=bot.executor.dry_run_output, submit=True)
    card = await bot.card("CHG-1")
    bot.clock.advance(minutes=25)  # the schedule's 15 minutes of grace are over

    await bot.approve(SENIOR1, card)
    await bot.card("CHG-1", shows="1 of 2")
    await bot.approve(SENIOR2, card)
    card = await bot.card("CHG-1", shows="late-apply grace")

    assert (await bot.reaches("CHG-1", State.APPROVED)).apply_at is None
    assert ids.APPLY not in buttons(card)
    assert "edit it with a new schedule" in blocks_text(card)
