"""subteam_members_changed refreshes the cache and the cards whose active stage uses the group."""

from __future__ import annotations

from tests.slack.harness import ENGINEER, SENIOR1, Harness


async def test_membership_change_refreshes_cache_and_card(bot: Harness) -> None:
    await bot.seed(risk="medium")
    card = await bot.card("CHG-1")
    assert "cannot currently be met" not in str(card.blocks)
    bot.fake.workspace.usergroups["S01NETENG"].users[:] = []

    reply = await bot.driver.event({
        "type": "subteam_members_changed", "subteam_id": "S01NETENG", "team_id": "T0CHANGEGATE",
        "removed_users": [ENGINEER, SENIOR1], "added_users": [],
    })

    assert reply.status == 200
    await bot.card("CHG-1", shows="cannot currently be met")
