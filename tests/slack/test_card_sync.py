"""The card-sync component: how a committed decision reaches the copies of its card is chosen
once, by the mode it was built in, and a decision made from a card comes to it through the commit,
never from the listener that took the click."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.fakeslack import FakeSlack
from bot.slack.outbound.card_sync import CardSync
from bot.slack.outbound.pacing import SlackPacer
from bot.slack.rendering.modals import Clicked
from tests.slack.harness import SENIOR1, Harness, bot_on, workspace
from tests.support.pacing_clock import PacingClock
from tests.support.reviews import approve_seen
from workflow.gesture import Committed, Reply


def built(bot: Harness, *, paced: bool, follows: bool = True) -> CardSync:
    """A card sync as composition builds one, beside the bot's own."""
    services = bot.runtime.slack.services if bot.runtime.slack else None
    assert services is not None
    args = (services.client, services.changes, bot.runtime.storage.cards, services.people,
            services.clock)
    if not paced:
        return CardSync.unpaced(*args)
    pacing = bot.pacing or PacingClock()
    return CardSync.paced(*args, SlackPacer(pacing, pacing.sleep), pacing.sleep,
                          follows=follows)


async def committed_from_card(bot: Harness, sync: CardSync) -> None:
    """An approval committed elsewhere, told to `sync` as decided from the channel card."""
    card = await bot.card("CHG-1")
    await bot.settled()
    cr = await approve_seen(bot.engine, "CHG-1", SENIOR1, revision=1)
    clicked = Clicked(card.channel, card.ts,
                      bot.fake.issue_response_url(card.channel, SENIOR1, card.ts))
    sync.committed(Committed([cr], [Reply(cr, clicked.as_reply())]))
    await sync.settle()


async def test_unpaced_a_decision_from_a_card_is_not_answered_on_it(tmp_path: Path) -> None:
    """Unpaced, every copy is the relay's: the gesture's card is left to it."""
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path, paced=False) as bot:
        await bot.seed()
        await committed_from_card(bot, built(bot, paced=False))

        assert not fake.calls_to("response_url")


async def test_paced_without_following_only_the_clicked_card_is_answered(tmp_path: Path) -> None:
    """A web process (`serve --role web`) answers the card a decision was made from, through
    its click (every other copy is its relay's, here the bot's own)."""
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path, paced=False) as bot:
        await bot.seed()
        web = built(bot, paced=True, follows=False)
        await committed_from_card(bot, web)

        [answer] = fake.calls_to("response_url")
        assert answer.args.get("replace_original") is True
        assert "1 of 2: <@USEN1>" in str(answer.args.get("blocks"))
        await web.close()


async def test_a_gesture_naming_no_card_is_answered_nowhere(tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path, paced=False) as bot:
        cr = await bot.seed()
        web = built(bot, paced=True, follows=False)

        web.committed(Committed([cr], [Reply(cr, "not a card")]))
        await web.settle()

        assert not fake.calls_to("response_url")
        await web.close()
