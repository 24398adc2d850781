"""Approvers are told in their DMs: one card each, with working buttons, updated in place;
`notify` and its defaults; reminders naming only those who have not responded; thread order."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.fakeslack.state import Message
from bot.slack.outbound.delivery import TOPIC
from bot.slack.rendering import ids
from bot.slack.rendering.validate import MESSAGE_BLOCKS_MAX, check_blocks, check_message
from tests.slack.harness import (
    CAB1,
    CHANNEL,
    ENGINEER,
    POLICY,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    SENIOR3,
    Harness,
    blocks_text,
    buttons,
    running_bot,
)
from workflow.codec import event_to_dict
from workflow.events import Event, EventKind
from workflow.model import Content, Metadata, Risk
from workflow.ports import OutboxMessage

SENIORS = (SENIOR1, SENIOR2, SENIOR3)


def cards_in_dm(bot: Harness, user: str, change_id: str = "CHG-1") -> list[Message]:
    return [m for m in bot.fake.messages(user) if m.text.startswith(f"{change_id} ")]


async def dm_card(bot: Harness, user: str, shows: str = "") -> Message:
    """The user's own copy of CHG-1 once it exists and shows `shows`."""

    def found() -> Message | None:
        cards = cards_in_dm(bot, user)
        return cards[0] if cards and shows in blocks_text(cards[0]) else None

    return await bot.fake.wait_for(found)


def valid(message: Message) -> None:
    check_message({"text": message.text, "blocks": message.blocks})
    check_blocks(message.blocks, MESSAGE_BLOCKS_MAX)


async def test_each_approver_gets_one_dm_card_whose_buttons_act_on_every_copy(
    bot: Harness,
) -> None:
    await bot.seed()
    cards = {user: await dm_card(bot, user) for user in SENIORS}
    await bot.settled()

    for user, card in cards.items():
        valid(card)
        assert {ids.APPROVE, ids.REJECT, ids.WITHDRAW_APPROVAL} <= set(buttons(card))
        assert len(cards_in_dm(bot, user)) == 1
    own = cards_in_dm(bot, REQUESTER)  # the requester is in the group, but may not review
    assert len(own) == 1 and ids.APPROVE not in buttons(own[0])
    assert bot.fake.messages(ENGINEER) == []  # not an approver of this stage

    assert "You approved revision 1 of *CHG-1*" in await bot.approve(SENIOR1, cards[SENIOR1])

    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    for user in SENIORS:
        valid(await dm_card(bot, user, shows="1 of 2: <@USEN1>"))
    await bot.fake.wait_for(lambda: "1 of 2: &lt;@USEN1&gt;" not in blocks_text(own[0])
                            and "1 of 2: <@USEN1>" in blocks_text(own[0]))
    await bot.settled()
    assert [len(cards_in_dm(bot, user)) for user in SENIORS] == [1, 1, 1]  # updated, not again


async def test_the_next_stage_reaches_its_own_approvers_when_it_opens(bot: Harness) -> None:
    await bot.seed(risk="critical")
    card = await dm_card(bot, SENIOR1)
    await bot.settled()
    assert cards_in_dm(bot, CAB1) == []  # stage 2 is not open yet

    await bot.approve(SENIOR1, card)
    await bot.approve(SENIOR2, await dm_card(bot, SENIOR2))

    cab = await dm_card(bot, CAB1, shows="Stage 2 of 2")
    valid(cab)
    assert ids.APPROVE in buttons(cab)
    await bot.approve(CAB1, cab)
    await dm_card(bot, SENIOR3, shows="Approved")  # every copy follows, buttons and all
    await bot.settled()
    assert ids.APPROVE not in buttons(cards_in_dm(bot, SENIOR3)[0])


async def test_notify_channel_sends_no_dm(tmp_path: Path) -> None:
    policy = POLICY.replace("name: high, priority: 20,", "name: high, priority: 20, "
                            "notify: channel,")
    async with running_bot(tmp_path, policy=policy) as bot:
        await bot.seed()
        card = await bot.card("CHG-1")
        await bot.thread_has(card, "is open")
        await bot.settled()

        assert [cards_in_dm(bot, user) for user in SENIORS] == [[], [], []]


async def test_without_any_channel_approvers_are_told_by_dm(tmp_path: Path) -> None:
    async with running_bot(tmp_path, channel=None) as bot:
        content = Content("bgp", "add", "edge-1", Risk.HIGH, "neighbor 192.0.2.1", "no neighbor")
        await bot.engine.propose(REQUESTER, content, Metadata("Add BGP session"),
                                 dry_run_output="ok", submit=True)
        await bot.settled()

        card = await dm_card(bot, SENIOR2)
        await bot.approve(SENIOR2, card, "fine")

        await dm_card(bot, SENIOR1, shows="1 of 2: <@USEN2>")
        assert bot.fake.messages(CHANNEL) == []


async def test_a_reminder_names_only_the_approvers_who_have_not_responded(
    bot: Harness,
) -> None:
    cr = await bot.seed()
    card = await bot.card("CHG-1")
    senior1 = await dm_card(bot, SENIOR1)
    await bot.approve(SENIOR1, senior1)
    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    bot.clock.advance(hours=4, minutes=1)

    await bot.engine.fire_deadline(cr.id)
    await bot.settled()

    replies = await bot.thread_has(card, "Reminder")
    reminder = next(r.text for r in replies if "Reminder" in r.text)
    assert "<@USEN2>" in reminder and "<@USEN3>" in reminder
    assert "<@USEN1>" not in reminder and "<@UREQ>" not in reminder
    for user in (SENIOR2, SENIOR3):
        mine = (await dm_card(bot, user)).ts
        await bot.fake.wait_for(lambda mine=mine, user=user: any(
            "still waits for your review" in r.text
            for r in bot.fake.thread(cards_in_dm(bot, user)[0].channel, mine)))
    await bot.settled()
    assert bot.fake.thread(senior1.channel, senior1.ts) == []


async def test_thread_replies_follow_the_order_things_happened(bot: Harness) -> None:
    """Events delivered together keep their order: a stage opening is told between what came
    before it and what came after, not after all of them."""
    cr = await bot.seed()
    await bot.settled()
    card = await bot.card(cr.id)
    before = len(bot.fake.thread(CHANNEL, card.ts))
    bot.clock.advance(minutes=1)
    now = bot.clock.now()
    events = [
        Event(EventKind.COMMENT, cr.id, SENIOR3, now, revision=1, data={"text": "first"}),
        Event(EventKind.RETURNED_TO_REVIEW, cr.id, "system", now, revision=1,
              data={"reason": "second"}),
        Event(EventKind.COMMENT, cr.id, SENIOR3, now, revision=1, data={"text": "third"}),
    ]
    assert bot.runtime.slack is not None

    later = await bot.runtime.slack.services.delivery.deliver_many(
        [OutboxMessage(TOPIC, cr.id, event_to_dict(e)) for e in events])
    assert later is not None
    await later()

    texts = [r.text for r in bot.fake.thread(CHANNEL, card.ts)[before:]]
    assert len(texts) == 3
    assert "first" in texts[0] and "second" in texts[0]
    assert "is open" in texts[1]
    assert "third" in texts[2]


async def test_dm_cards_are_kept_in_the_card_store_and_updated_in_place(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, storage="sqlite") as bot:
        await bot.seed()
        card = await dm_card(bot, SENIOR3)
        await bot.settled()
        stored = await bot.runtime.storage.cards.cards("CHG-1")

        assert sorted(ref.audience.value for ref in stored) == [
            "approver", "approver", "approver", "channel", "requester"]
        assert (card.channel, card.ts) in {(ref.channel, ref.ts) for ref in stored}
        await bot.approve(SENIOR1, await bot.card("CHG-1"))
        await dm_card(bot, SENIOR3, shows="1 of 2: <@USEN1>")
        assert card.edits >= 1 and len(cards_in_dm(bot, SENIOR3)) == 1
