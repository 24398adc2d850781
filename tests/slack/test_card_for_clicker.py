"""Cards under Slack's limits (chat.update about 50 a minute per workspace): the card a person
decided from shows the decision at once through the response_url of their click, even while
chat.update has no room, and no replica spends the budget on what a copy already shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.fakeslack import FakeSlack
from bot.sandbox.fakeslack.state import RESPONSE_URL_USES
from bot.slack.outbound.card_sync import PACED, CardSync
from bot.slack.outbound.card_updates import CardUpdates
from bot.slack.outbound.pacing import SlackPacer
from bot.slack.rendering import ids
from bot.slack.rendering.modals import Clicked
from tests.slack.harness import (
    CHANNEL,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
    bot_on,
    workspace,
)
from tests.support.pacing_clock import PacingClock
from tests.support.reviews import approve_seen
from workflow.gesture import Committed, Reply
from workflow.model import ChangeRequest

UPDATE = "chat.update"


@pytest.fixture
def pacing() -> PacingClock:
    """The test's time: ten minutes, so a wait of an hour is never over."""
    return PacingClock(lasts_s=600)


@pytest.fixture
async def held(pacing: PacingClock) -> SlackPacer:
    """Slack's limits kept, and chat.update held as after a 429 with a long Retry-After."""
    pacer = SlackPacer(pacing, pacing.sleep)
    pacer.hold(UPDATE, 3600)
    return pacer


@pytest.fixture
async def bot(tmp_path: Path, held: SlackPacer, pacing: PacingClock) -> AsyncIterator[Harness]:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path, pacer=held,
                                                      pacing=pacing) as harness:
        yield harness


async def test_an_approval_shows_on_the_clicked_card_through_its_response_url(
        bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")

    assert "You approved revision 1" in await bot.approve(SENIOR1, card)

    card = await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    replaced = bot.fake.calls_to("response_url")
    assert [c.args.get("replace_original") for c in replaced] == [True]
    assert not bot.fake.calls_to(UPDATE)  # the budget was not spent, nor overstepped
    assert ids.APPROVE in [e["action_id"] for b in card.blocks if b["type"] == "actions"
                           for e in b["elements"]]


async def test_a_later_decision_on_the_same_card_shows_too_each_through_its_own_click(
        bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.approve(SENIOR1, card)
    card = await bot.card("CHG-1", shows="1 of 2")

    await bot.approve(SENIOR2, card)

    card = await bot.card("CHG-1", shows="Approved")
    assert "2 of 2: <@USEN1>, <@USEN2>" in blocks_text(card)
    assert len(bot.fake.calls_to("response_url")) == 2
    assert not bot.fake.calls_to(UPDATE)


async def test_with_room_the_clicked_card_is_updated_once_by_whichever_way_comes_first(
        tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path) as bot:
        await bot.seed()
        card = await bot.card("CHG-1")

        await bot.approve(SENIOR1, card)

        await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
        await bot.settled()
        to_channel = [c for c in fake.calls_to(UPDATE) if c.args["channel"] == CHANNEL]
        assert len(to_channel) + len(fake.calls_to("response_url")) == 1


async def test_a_decision_made_elsewhere_reaches_the_card_through_chat_update(
        tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path) as bot:
        await bot.seed()
        await approve_seen(bot.engine, "CHG-1", SENIOR1, revision=1)  # the API's or the CLI's way

        await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
        assert not fake.calls_to("response_url")
        assert CHANNEL in {c.args["channel"] for c in fake.calls_to(UPDATE)}


async def test_a_copy_another_replica_brought_up_to_date_is_not_sent_again(
        tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path) as bot:
        services = bot.runtime.slack.services if bot.runtime.slack else None
        assert services is not None

        def replica() -> CardSync:  # another process's: it remembers nothing
            return another_replica(bot)

        one, two = replica(), replica()
        await bot.seed()
        await approve_seen(bot.engine, "CHG-1", SENIOR1, revision=1)
        await bot.settled()
        await two.follow("CHG-1")  # two remembers the copies as showing one approval

        await approve_seen(bot.engine, "CHG-1", SENIOR2, revision=1)
        await bot.settled()
        await one.follow("CHG-1")
        sent = len(fake.calls_to(UPDATE))
        await two.follow("CHG-1")

        assert len(fake.calls_to(UPDATE)) == sent  # the stored state beat two's memory
        assert "2 of 2" in blocks_text(await bot.card("CHG-1"))


async def test_a_change_another_replica_committed_since_is_left_to_that_replicas_follower(
        tmp_path: Path) -> None:
    # Unpaced, the bot stores no card's fingerprint after an update, so the copies are behind
    # as far as the replica can tell (paced, it would store them: nothing left to follow).
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path, paced=False) as bot:
        cr = await bot.seed()
        await bot.settled()
        approved = await approve_seen(bot.engine, cr.id, SENIOR1, revision=1)
        await bot.settled()
        services = bot.runtime.slack.services if bot.runtime.slack else None
        assert services is not None
        replica = another_replica(bot)
        sent = len(fake.calls_to(UPDATE))

        await replica.follow(cr.id, approved.version - 1)  # its commit came before the last
        assert len(fake.calls_to(UPDATE)) == sent
        await replica.follow(cr.id, approved.version)  # it made the last commit: it follows
        assert len(fake.calls_to(UPDATE)) > sent


async def test_a_render_that_lands_after_a_later_state_is_followed_by_the_current_one(
        tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path) as bot:
        cr = await bot.seed()
        card = await bot.card(cr.id)
        earlier = await approve_seen(bot.engine, cr.id, SENIOR1, revision=1)
        await approve_seen(bot.engine, cr.id, SENIOR2, revision=1)
        await bot.card(cr.id, shows="2 of 2")  # another replica already showed the later state
        services = bot.runtime.slack.services if bot.runtime.slack else None
        assert services is not None
        late = another_replica(bot)

        await bot.settled()
        updates = len(fake.calls_to(UPDATE))

        await answered(late, earlier, Clicked(card.channel, card.ts, fake.issue_response_url(
            card.channel, SENIOR1, card.ts)))  # its answer came in late

        assert "2 of 2" in blocks_text(await bot.card(cr.id))
        # Caught up through the same response_url, sparing chat.update's budget.
        assert len(fake.calls_to("response_url")) == 2
        assert len(fake.calls_to(UPDATE)) == updates


async def test_an_older_update_that_lands_after_the_clicked_cards_is_followed_by_the_current(
        tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path) as bot:
        cr = await bot.seed()
        card = await bot.card(cr.id)
        held = fake.hold_next(UPDATE, lambda args: args.get("channel") == CHANNEL)
        await approve_seen(bot.engine, cr.id, SENIOR1, revision=1)
        await held.arrived.wait()  # the card's update to "1 of 2" is slow to reach Slack

        await bot.approve(SENIOR2, card)
        await bot.card(cr.id, shows="2 of 2")  # the click did not wait for it
        held.release()

        def current_again() -> bool:
            updates = [c for c in fake.calls_to(UPDATE) if c.args["channel"] == CHANNEL]
            return len(updates) >= 2 and "2 of 2" in blocks_text(bot.find_card(cr.id) or card)

        await fake.wait_for(current_again)


async def test_a_late_render_is_followed_even_when_the_later_ones_fingerprint_was_stored_after_it(
        tmp_path: Path) -> None:
    """With the click's response_url used up, the catch-up takes chat.update."""
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path) as bot:
        cr = await bot.seed()
        card = await bot.card(cr.id)
        earlier = await approve_seen(bot.engine, cr.id, SENIOR1, revision=1)
        await approve_seen(bot.engine, cr.id, SENIOR2, revision=1)
        await bot.card(cr.id, shows="2 of 2")
        await bot.settled()
        cards = bot.runtime.storage.cards
        later = next(r for r in await cards.cards(cr.id) if r.channel == CHANNEL)
        services = bot.runtime.slack.services if bot.runtime.slack else None
        assert services is not None
        waits = [1.0]

        async def stored_late(_: float) -> None:  # the later render's store lands after ours
            waits.clear()
            await cards.save(later)

        updates = CardUpdates(
            lambda channel, ts, message: services.client.chat_update(
                channel=channel, ts=ts, **message),
            lambda: waits[0] if waits else 0.0, stored_late, serial=True)
        late = CardSync(services.client, services.changes, cards, services.people,
                        services.clock, updates, PACED)

        url = fake.issue_response_url(card.channel, SENIOR1, card.ts)
        fake.state.response_urls[url.rsplit("/", 1)[-1]].uses = RESPONSE_URL_USES - 1

        await answered(late, earlier, Clicked(card.channel, card.ts, url))  # lands on "2 of 2"
        await updates.settle()

        assert "2 of 2" in blocks_text(await bot.card(cr.id))


def another_replica(bot: Harness) -> CardSync:
    """The card sync of another process on the same database and Slack: it remembers nothing,
    and follows no commit of its own."""
    services = bot.runtime.slack.services if bot.runtime.slack else None
    assert services is not None
    pacing = bot.pacing or PacingClock()
    return CardSync.paced(services.client, services.changes, bot.runtime.storage.cards,
                          services.people, services.clock, SlackPacer(pacing, pacing.sleep),
                          pacing.sleep, follows=False)


async def answered(sync: CardSync, cr: ChangeRequest, clicked: Clicked) -> None:
    """`sync` told of a commit of `cr` decided from a form opened on the card `clicked`, as the
    engine tells it, and done with what that asks."""
    sync.committed(Committed([cr], [Reply(cr, clicked.as_reply())]))
    await sync.settle()
