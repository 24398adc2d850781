"""Requests Slack did not sign, replayed ones, other workspaces and garbage change nothing."""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode

import aiohttp
import pytest

from bot.sandbox.fakeslack import payloads
from bot.slack.rendering import ids
from tests.slack.harness import CHANNEL, REQUESTER, SENIOR1, Harness


def slash_body(bot: Harness, user: str = REQUESTER, team_id: str | None = None) -> str:
    return urlencode(payloads.slash_command(
        bot.fake.workspace, user=user, channel=CHANNEL, command="/change", text="new",
        trigger_id=bot.fake.issue_trigger(user),
        response_url=bot.fake.issue_response_url(CHANNEL, user), team_id=team_id))


async def nothing_happened(bot: Harness) -> None:
    await bot.settled()
    assert [c.method for c in bot.fake.calls] == ["auth.test"]
    assert await bot.engine.get("CHG-1") is None


async def healthy(bot: Harness) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as answer:
        assert answer.status == 200


async def test_wrong_signature_is_401(bot: Harness) -> None:
    reply = await bot.driver.post(slash_body(bot), secret="not-the-signing-secret")

    assert reply.status == 401
    await nothing_happened(bot)


async def test_missing_signature_is_401(bot: Harness) -> None:
    reply = await bot.driver.post(slash_body(bot), signed=False)

    assert reply.status == 401
    await nothing_happened(bot)


@pytest.mark.parametrize("age_s", [301, -301], ids=["replayed", "from-the-future"])
async def test_timestamp_outside_five_minutes_is_401(bot: Harness, age_s: int) -> None:
    reply = await bot.driver.post(slash_body(bot), timestamp=int(time.time()) - age_s)

    assert reply.status == 401
    await nothing_happened(bot)


async def test_tampered_body_is_401(bot: Harness) -> None:
    body = slash_body(bot)

    reply = await bot.driver.post(body.replace("text=new", "text=list"), signed_body=body)

    assert reply.status == 401
    await nothing_happened(bot)


async def test_other_workspace_is_refused_and_nothing_changes(bot: Harness) -> None:
    slash = await bot.driver.post(slash_body(bot, team_id="T0OTHERTEAM"))
    event = await bot.driver.event({"type": "app_home_opened", "user": SENIOR1, "tab": "home"},
                                   team_id="T0OTHERTEAM")

    assert (slash.status, event.status) == (401, 401)
    await nothing_happened(bot)


async def test_other_workspace_cannot_click_a_card(bot: Harness) -> None:
    await bot.seed()
    await bot.settled()
    card = await bot.card("CHG-1")
    before = len(bot.fake.calls)

    reply = await bot.driver.click(SENIOR1, card, ids.APPROVE, team_id="T0OTHERTEAM")

    assert reply.status == 401
    await bot.settled()
    assert len(bot.fake.calls) == before
    cr = await bot.engine.get("CHG-1")
    assert cr is not None and cr.live_responses() == ()


@pytest.mark.parametrize("body, content_type", [
    ("payload=" + quote("{not json"), "application/x-www-form-urlencoded"),
    ("{not json", "application/json"),
    (json.dumps({"hello": "world"}), "application/json"),
    (json.dumps([1, 2, 3]), "application/json"),
    ("", "application/x-www-form-urlencoded"),
], ids=["bad-payload-json", "bad-json", "not-slack", "json-list", "empty"])
async def test_malformed_payload_is_400_and_the_server_lives_on(
    bot: Harness, body: str, content_type: str
) -> None:
    reply = await bot.driver.post(body, content_type)

    assert reply.status == 400
    await healthy(bot)
    await nothing_happened(bot)


async def test_payload_missing_fields_does_not_crash_the_server(bot: Harness) -> None:
    payload = {"type": "block_actions", "team": {"id": bot.fake.workspace.team_id},
               "user": {"id": SENIOR1}, "actions": [{"action_id": ids.APPROVE}]}

    reply = await bot.driver.post("payload=" + quote(json.dumps(payload)))

    assert reply.status == 200
    await healthy(bot)
    told = await bot.fake.wait_for(lambda: [m.text for m in bot.fake.messages(SENIOR1)])
    assert "does not exist" in told[0]
