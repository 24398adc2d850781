"""Above a few changes awaiting an approver, they get one DM digest kept up to date instead of
a card per change: its buttons open the same bound forms; it follows every change that enters or
leaves their list; reminders go in its thread; on SQLite it is updated in place after a restart."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.fakeslack import FakeSlack
from bot.sandbox.fakeslack.payloads import text_value
from bot.sandbox.fakeslack.state import Message
from bot.slack.outbound.dm_digest import DIGEST_ABOVE
from bot.slack.rendering import ids
from bot.slack.rendering.validate import check_message
from tests.slack.harness import (
    CHANNEL,
    SENIOR1,
    SENIOR2,
    SENIOR3,
    Harness,
    blocks_text,
    bot_on,
    buttons,
    workspace,
)
from workflow.model import ChangeRequest, State, Verdict
from workflow.seen import Seen

SENIORS = (SENIOR1, SENIOR2, SENIOR3)


def digests_in_dm(bot: Harness, user: str) -> list[Message]:
    return [m for m in bot.fake.messages(user)
            if m.text.endswith(("await you", "awaits you"))]


def cards_in_dm(bot: Harness, user: str) -> list[str]:
    """The changes the user has their own copy of the card of."""
    return sorted(m.text.split(" ")[0] for m in bot.fake.messages(user)
                  if m.text.startswith("CHG-"))


async def digest_of(bot: Harness, user: str, shows: str) -> Message:
    """The user's digest once it exists and says `shows`."""

    def found() -> Message | None:
        digests = digests_in_dm(bot, user)
        return digests[0] if digests and shows in digests[0].text + blocks_text(digests[0]) \
            else None

    digest = await bot.fake.wait_for(found)
    assert digest is not None
    return digest


async def propose(bot: Harness, count: int) -> list[ChangeRequest]:
    """`count` changes awaiting the seniors, each delivered before the next is proposed."""
    made = []
    for _ in range(count):
        number = len(bot.fake.messages(CHANNEL)) + 1
        made.append(await bot.seed(title=f"Change {number} <!here>"))
        await bot.settled()
    return made


def listed(digest: Message) -> list[str]:
    """The changes a digest offers buttons for, in order."""
    return [b["block_id"].removeprefix("cg_digest_") for b in digest.blocks
            if b["type"] == "actions"]


async def test_above_the_threshold_one_digest_replaces_further_cards(bot: Harness) -> None:
    changes = await propose(bot, DIGEST_ABOVE + 1)
    first = [cr.id for cr in changes[:DIGEST_ABOVE]]

    for user in SENIORS:
        digest = await digest_of(bot, user, f"{DIGEST_ABOVE + 1} changes await you")
        check_message({"text": digest.text, "blocks": digest.blocks})
        assert listed(digest) == [cr.id for cr in changes]  # oldest first
        assert cards_in_dm(bot, user) == first  # no card for the change that made the digest
        assert "&lt;!here&gt;" in blocks_text(digest) and "<!here>" not in blocks_text(digest)
        assert buttons(digest).count(ids.APPROVE) == len(changes)
        assert ids.WITHDRAW_APPROVAL not in buttons(digest)

    fifth = (await propose(bot, 1))[0]
    for user in SENIORS:
        digest = await digest_of(bot, user, f"{DIGEST_ABOVE + 2} changes await you")
        assert digest.edits == 1 and listed(digest)[-1] == fifth.id
        assert len(digests_in_dm(bot, user)) == 1
        assert cards_in_dm(bot, user) == first
    await bot.settled()
    assert [len(digests_in_dm(bot, user)) for user in SENIORS] == [1, 1, 1]
    assert [d.edits for user in SENIORS for d in digests_in_dm(bot, user)] == [1, 1, 1]


async def test_approving_from_the_digest_opens_the_bound_form_and_the_digest_follows(
    bot: Harness,
) -> None:
    changes = await propose(bot, DIGEST_ABOVE + 1)
    last = changes[-1]
    digest = await digest_of(bot, SENIOR1, f"{DIGEST_ABOVE + 1} changes await you")
    value = ids.button_value(last.id, Seen.of(last))
    assert ids.parse_button_value(value) == (last.id, Seen.of(last))

    before = {v.id for v in bot.fake.open_views(SENIOR1)}
    await bot.driver.click(SENIOR1, digest, ids.APPROVE, value=value)
    form = await bot.modal_for(SENIOR1, where=lambda v: v.id not in before
                               and v.view.get("callback_id") == ids.APPROVE_VIEW)
    assert f"Approving revision 1 of *{last.id}*" in blocks_text(form)
    assert last.dry_run is not None and last.dry_run.digest[:12] in blocks_text(form)
    await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value("from the digest")})

    await bot.card(last.id, shows="1 of 2: <@USEN1>")
    digest = await digest_of(bot, SENIOR1, f"{DIGEST_ABOVE} changes await you")
    assert last.id not in listed(digest)
    for user in (SENIOR2, SENIOR3):  # still awaited by them
        assert last.id in listed(await digest_of(bot, user, f"{DIGEST_ABOVE + 1} changes"))
    cr = await bot.engine.get(last.id)
    assert cr is not None
    response = cr.live_response_of(SENIOR1)
    assert response is not None and response.verdict is Verdict.APPROVE
    assert response.comment == "from the digest"

    theirs = digests_in_dm(bot, SENIOR2)[0]
    await bot.approve(SENIOR2, digest_like(theirs, last))  # the change leaves every list
    await bot.reaches(last.id, State.APPROVED)
    digest = await digest_of(bot, SENIOR3, f"{DIGEST_ABOVE} changes await you")
    assert last.id not in listed(digest)
    await bot.settled()
    assert len(digests_in_dm(bot, SENIOR1)) == 1


def digest_like(digest: Message, cr: ChangeRequest) -> Message:
    """A message offering only `cr`'s row of the digest, for the harness's first-button click."""
    rows = [b for b in digest.blocks if b.get("block_id") == f"cg_digest_{cr.id}"]
    return Message(digest.channel, digest.ts, digest.text, rows, digest.user)


async def test_a_new_dry_run_rebinds_the_buttons_of_every_digest_listing_it(bot: Harness) -> None:
    changes = await propose(bot, DIGEST_ABOVE + 1)
    first = changes[0]
    for user in SENIORS:
        await digest_of(bot, user, f"{DIGEST_ABOVE + 1} changes await you")
    bot.executor.dry_run_output = "+ neighbor 192.0.2.1 remote-as 65002"

    rerun = await bot.engine.run_dry_run(first.id, first.requester)  # actor: the requester
    assert Seen.of(rerun) != Seen.of(first)
    value = ids.button_value(first.id, Seen.of(rerun))
    for user in SENIORS:
        await digest_of(bot, user, value)
    await bot.settled()
    assert [len(digests_in_dm(bot, user)) for user in SENIORS] == [1, 1, 1]


async def test_when_nothing_awaits_the_digest_says_so(bot: Harness) -> None:
    changes = await propose(bot, DIGEST_ABOVE + 1)
    await digest_of(bot, SENIOR3, f"{DIGEST_ABOVE + 1} changes await you")
    for cr in changes:
        await bot.engine.withdraw_request(cr.id, cr.requester)
    digest = await digest_of(bot, SENIOR3, "Nothing awaits you")
    assert buttons(digest) == []
    await bot.settled()
    assert len(digests_in_dm(bot, SENIOR3)) == 1


async def test_a_reminder_of_a_change_the_digest_lists_goes_in_its_thread(bot: Harness) -> None:
    changes = await propose(bot, DIGEST_ABOVE + 1)
    digest = await digest_of(bot, SENIOR2, f"{DIGEST_ABOVE + 1} changes await you")
    bot.clock.advance(hours=4, minutes=1)

    await bot.engine.fire_deadline(changes[-1].id)
    await bot.settled()

    replies = await bot.fake.wait_for(lambda: bot.fake.thread(digest.channel, digest.ts))
    assert len(replies) == 1 and "still waits for your review" in replies[0].text
    assert changes[-1].id in replies[0].text and not replies[0].reply_broadcast
    assert len(bot.fake.messages(SENIOR2)) == DIGEST_ABOVE + 1  # the cards and the digest


async def test_on_sqlite_the_digest_is_updated_in_place_after_a_restart(tmp_path: Path) -> None:
    async with FakeSlack(workspace()) as fake:
        async with bot_on(fake, tmp_path, memory=False) as bot:
            await propose(bot, DIGEST_ABOVE + 1)
            digest = await digest_of(bot, SENIOR1, f"{DIGEST_ABOVE + 1} changes await you")
            stored = await bot.runtime.storage.dm_digests.digests([SENIOR1])
            assert [(d.channel, d.ts) for d in stored] == [(digest.channel, digest.ts)]

        async with bot_on(fake, tmp_path, memory=False) as bot:
            await propose(bot, 1)
            digest = await digest_of(bot, SENIOR1, f"{DIGEST_ABOVE + 2} changes await you")
            assert len(digests_in_dm(bot, SENIOR1)) == 1 and digest.edits == 1
            assert len(cards_in_dm(bot, SENIOR1)) == DIGEST_ABOVE
