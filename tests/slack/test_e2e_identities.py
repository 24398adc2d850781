"""On every Slack path (card buttons, modals, the slash command, events, App Home) the actor is a
Slack user id: `system`, an empty id or anything else not in Slack's format is refused with 400
before anything is done in its name; U and W ids are people."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from bot.sandbox.fakeslack import payloads
from bot.sandbox.fakeslack.driver import FORM, _find_button
from bot.slack.rendering import ids
from tests.slack.harness import CHANNEL, SENIOR1, SENIOR2, Harness
from workflow.model import State

NOT_PEOPLE = ["system", "", "usen1", "USEN1 ", "B0CHANGEGATE", "U", "USEN1\nUSEN2"]
PATHS = ["card-button", "modal", "slash-command", "home-opened", "home-button"]


async def request_as(bot: Harness, path: str, user: str) -> tuple[str, str]:
    """The body and content type of a real request on `path` that names `user` as who acts."""
    w = bot.fake.workspace
    card = await bot.card("CHG-1")
    if path == "card-button":
        return form(payloads.block_actions(
            w, user=user, action=_find_button(card.blocks, ids.APPROVE),
            trigger_id=bot.fake.issue_trigger(SENIOR1),
            response_url=bot.fake.issue_response_url(CHANNEL, SENIOR1, card.ts), message=card))
    if path == "modal":
        await bot.driver.click(SENIOR1, card, ids.COMMENT)
        modal = await bot.modal_for(SENIOR1, "Comment on CHG-1")
        return form(payloads.view_submission(
            w, user=user, view=modal, values={ids.COMMENT_BLOCK: payloads.text_value("hm")},
            trigger_id=bot.fake.issue_trigger(SENIOR1)))
    if path == "slash-command":
        return urlencode(payloads.slash_command(
            w, user=user, channel=CHANNEL, command="/change", text="withdraw CHG-1",
            trigger_id=bot.fake.issue_trigger(SENIOR1),
            response_url=bot.fake.issue_response_url(CHANNEL, SENIOR1))), FORM
    if path == "home-opened":
        event = {"type": "app_home_opened", "user": user, "tab": "home"}
        return json.dumps(payloads.event_callback(w, event, event_id="Ev1")), "application/json"
    published = len(bot.fake.calls_to("views.publish"))
    await bot.driver.open_home(SENIOR1)  # the tab as this opening publishes it
    await bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.publish")) > published)
    home = await bot.fake.wait_for(lambda: bot.fake.home(SENIOR1))
    more = {"type": "button", "action_id": ids.HOME_MORE, "block_id": "more", "value": "awaiting"}
    return form(payloads.block_actions(w, user=user, action=more,
                                       trigger_id=bot.fake.issue_trigger(SENIOR1), view=home))


def form(payload: dict[str, Any]) -> tuple[str, str]:
    return "payload=" + quote(json.dumps(payload)), FORM


@pytest.mark.parametrize("user", NOT_PEOPLE)
@pytest.mark.parametrize("path", PATHS)
async def test_only_slack_user_ids_act(bot: Harness, path: str, user: str) -> None:
    await bot.seed()
    await bot.approve(SENIOR1, await bot.card("CHG-1"))
    await bot.card("CHG-1", shows="1 of 2")
    body, content_type = await request_as(bot, path, user)
    await bot.settled()
    calls = len(bot.fake.calls)
    before = await bot.engine.get("CHG-1")

    reply = await bot.driver.post(body, content_type)

    assert reply.status == 400, reply.text
    assert "Slack user id" in reply.text
    await bot.settled()
    assert await bot.engine.get("CHG-1") == before
    assert [c.method for c in bot.fake.calls[calls:]] == []


async def test_system_cannot_apply_from_a_card(bot: Harness) -> None:
    """The first finding: a click signed with user `system` passed the operator check."""
    await bot.seed()
    card = await bot.card("CHG-1")
    for approver in (SENIOR1, SENIOR2):
        await bot.approve(approver, card)
    card = await bot.card("CHG-1", shows="Approved")
    await bot.settled()

    click = payloads.block_actions(
        bot.fake.workspace, user="system", action={
            "type": "button", "action_id": ids.APPLY, "block_id": ids.CARD_ACTIONS_BLOCK,
            "value": "CHG-1"}, trigger_id=bot.fake.issue_trigger(SENIOR1),
        response_url=bot.fake.issue_response_url(CHANNEL, SENIOR1, card.ts), message=card)
    reply = await bot.driver.post(*form(click))

    assert reply.status == 400
    await bot.settled()
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.state is State.APPROVED and cr.apply is None


@pytest.mark.parametrize("user", ["W0GUEST1", "U0A1B2C3D4"])
async def test_enterprise_and_workspace_ids_are_people(bot: Harness, user: str) -> None:
    bot.fake.workspace.add_user(user)

    reply = await bot.driver.slash(user, "list")

    assert reply.status == 200
    assert await bot.ephemeral_for(user, "Awaiting your approval")
