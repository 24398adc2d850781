"""App Home and the /change subcommands, end to end."""

from __future__ import annotations

import asyncio

from bot.slack.rendering import ids
from bot.slack.rendering.labels import state_label
from tests.slack.harness import (
    CHANNEL,
    ENGINEER,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
)
from tests.support.reviews import approve_seen
from workflow.model import State


async def home_of(bot: Harness, user: str, shows: str) -> str:
    def published() -> str:
        home = bot.fake.home(user)
        text = blocks_text(home) if home else ""
        return text if shows in text else ""

    return await bot.fake.wait_for(published)


async def test_home_opened_lists_what_awaits_me_and_links_the_card(bot: Harness) -> None:
    await bot.seed(title="Move edge-1 to AS65002")
    await bot.settled()

    reply = await bot.driver.event({"type": "app_home_opened", "user": SENIOR1, "tab": "home",
                                    "channel": "D0HOME"})

    assert reply.status == 200
    text = await home_of(bot, SENIOR1, "Move edge-1")
    assert "Awaiting my approval* (1)" in text
    assert "archives/C0CHANGES/p" in text


async def test_home_follows_the_change_for_requester_and_approvers(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.approve(SENIOR1, card)
    await bot.card("CHG-1", shows="1 of 2")
    await bot.approve(SENIOR2, card)
    await bot.card("CHG-1", shows="Approved")
    await bot.settled()

    assert "My requests* (1)" in await home_of(bot, REQUESTER, "My requests* (1)")
    assert "Awaiting my approval* (0)" in await home_of(bot, SENIOR1, "Recently decided* (1)")


async def test_a_tab_read_before_a_decision_never_lands_after_one_read_after_it(
    bot: Harness
) -> None:
    cr = await bot.seed()
    await bot.settled()
    assert bot.runtime.slack is not None
    homes = bot.runtime.slack.services.homes
    slow = bot.fake.hold_next("views.publish", lambda args: args.get("user_id") == SENIOR1)
    before = asyncio.create_task(homes.publish(SENIOR1))
    await asyncio.wait_for(slow.arrived.wait(), 5)  # read while CHG-1 awaits SENIOR1

    for senior in (SENIOR1, SENIOR2):
        await approve_seen(bot.engine, cr.id, senior)
    await bot.runtime.slack.relay.drain()  # not settled(): that waits for the held tab
    await homes.publish(SENIOR1)  # asked for after the decision
    slow.release()
    await before

    home = bot.fake.home(SENIOR1)
    assert home is not None
    assert "Awaiting my approval* (0)" in blocks_text(home)
    assert "Recently decided* (1)" in blocks_text(home)


async def test_idle_returns_only_after_the_tab_in_flight_and_its_follow_up_landed(
    bot: Harness
) -> None:
    cr = await bot.seed()
    await bot.settled()
    assert bot.runtime.slack is not None
    homes = bot.runtime.slack.services.homes
    slow = bot.fake.hold_next("views.publish", lambda args: args.get("user_id") == SENIOR1)
    first = asyncio.create_task(homes.publish(SENIOR1))
    await asyncio.wait_for(slow.arrived.wait(), 5)
    await approve_seen(bot.engine, cr.id, SENIOR1)
    await homes.publish(SENIOR1)  # returns at once: the publish in flight has it once more

    idle = asyncio.create_task(homes.idle())
    await asyncio.sleep(0)
    assert not idle.done()  # the held tab has not landed yet
    slow.release()
    await asyncio.wait_for(idle, 5)

    assert first.done()
    published = bot.fake.calls_to("views.publish")
    assert [c.args["user_id"] for c in published[-2:]] == [SENIOR1, SENIOR1]
    home = bot.fake.home(SENIOR1)
    assert home is not None and "Awaiting my approval* (0)" in blocks_text(home)


async def test_show_more_grows_a_list(bot: Harness) -> None:
    for _ in range(7):
        await bot.seed()
    await bot.settled()
    await bot.driver.event({"type": "app_home_opened", "user": SENIOR1, "tab": "home"})
    await home_of(bot, SENIOR1, "Show more (2 more)")
    home = bot.fake.home(SENIOR1)
    assert home is not None

    await bot.driver.click_in_view(SENIOR1, home, ids.HOME_MORE)

    text = await home_of(bot, SENIOR1, "CHG-7")
    assert "Show more" not in text


async def test_list_show_and_help_answer_only_the_caller(bot: Harness) -> None:
    await bot.seed(title="Move edge-1 to AS65002")

    await bot.driver.slash(SENIOR1, "list")
    await bot.driver.slash(SENIOR1, "chg-1")
    await bot.driver.slash(SENIOR1, "help")

    listed = await bot.ephemeral_for(SENIOR1, "Awaiting your approval* (1)")
    assert "Move edge-1" in listed
    assert f"Move edge-1 to AS65002 · {state_label(State.PENDING_REVIEW)}" in listed  # as cards
    assert await bot.ephemeral_for(SENIOR1, "CHG-1 Move edge-1 to AS65002")
    assert await bot.ephemeral_for(SENIOR1, "`/change new`")


async def test_bad_input_gets_usage_never_a_crash(bot: Harness) -> None:
    for text in ("frobnicate", "show", "apply CHG-x", "list everything", "<!channel>"):
        reply = await bot.driver.slash(ENGINEER, text)
        assert reply.status == 200

    shown = await bot.fake.wait_for(lambda: len(bot.fake.ephemerals(ENGINEER)) >= 5 and
                                    bot.fake.ephemerals(ENGINEER))
    assert all("/change new" in text for text in shown)
    assert "unknown subcommand `frobnicate`" in shown[0]
    assert "<!channel>" not in " ".join(shown)
    await bot.driver.slash(ENGINEER, "show CHG-404")
    assert await bot.ephemeral_for(ENGINEER, "CHG-404 does not exist")


async def test_withdraw_dry_run_and_apply_subcommands(bot: Harness) -> None:
    await bot.seed()
    card = await bot.card("CHG-1")
    await bot.approve(SENIOR1, card)
    await bot.card("CHG-1", shows="1 of 2")
    await bot.approve(SENIOR2, card)
    await bot.card("CHG-1", shows="Approved")

    await bot.driver.slash(SENIOR2, "dry-run CHG-1")
    assert await bot.ephemeral_for(SENIOR2, "Dry-run of CHG-1 recorded")
    await bot.settled()
    card = await bot.card("CHG-1", shows=ids.APPLY)
    on_card = next(e for b in card.blocks if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == ids.APPLY)
    await bot.driver.slash(REQUESTER, "apply CHG-1")
    offer = await bot.fake.wait_for(lambda: next(
        (e for e in bot.fake.state.ephemerals if e.user == REQUESTER and "*Apply*" in e.text),
        None))
    assert offer is not None
    offered = [e for b in offer.blocks if b["type"] == "actions" for e in b["elements"]]
    assert offered == [on_card]  # the card's Apply: the same confirmation, the same revision
    assert (await bot.engine.get("CHG-1")).state is State.APPROVED  # type: ignore[union-attr]
    await bot.driver.click_ephemeral(REQUESTER, offer, ids.APPLY)
    card = await bot.card("CHG-1", shows="Applied")
    assert [e["action_id"] for b in card.blocks if b["type"] == "actions"
            for e in b["elements"]] == [ids.POST_REVIEW, ids.VIEW_CHANGE]  # nothing to apply
    await bot.driver.slash(REQUESTER, "withdraw CHG-1")
    assert await bot.ephemeral_for(REQUESTER, "CHG-1 is already applied")
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.apply is not None
    assert bot.executor.applies == [cr.apply.key]
    assert len(bot.fake.messages(CHANNEL)) == 1
