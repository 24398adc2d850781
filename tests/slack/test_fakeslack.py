"""The fake Slack server behaves like the Web API subset the bot uses, through slack_sdk itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.fakeslack import FakeSlack, Workspace


class ManualClock:
    """Seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeSlack]:
    workspace = Workspace()
    workspace.add_channel("C0CHANGES")
    workspace.add_user("U1", "ana", tz="America/New_York", tz_offset=-18000)
    workspace.add_usergroup("S1", "seniors", ["U1", "U2"])
    async with FakeSlack(workspace, clock=clock) as server:
        yield server


def client(fake: FakeSlack, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token or fake.workspace.bot_token, base_url=fake.api_url)


async def test_messages_are_kept_by_channel_and_ts_with_threads(fake: FakeSlack) -> None:
    web = client(fake)
    posted = await web.chat_postMessage(channel="C0CHANGES", text="card", blocks=[])
    await web.chat_postMessage(channel="C0CHANGES", text="reply", thread_ts=posted["ts"])
    await web.chat_update(channel="C0CHANGES", ts=posted["ts"], text="card v2")

    (card,) = fake.messages("C0CHANGES")
    assert card.text == "card v2"
    assert card.edits == 1
    assert [m.text for m in fake.thread("C0CHANGES", posted["ts"])] == ["reply"]
    with pytest.raises(SlackApiError) as missing:
        await web.chat_update(channel="C0CHANGES", ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"


async def test_invalid_blocks_are_refused(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client(fake).chat_postMessage(
            channel="C0CHANGES", text="t",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])

    assert refused.value.response["error"] == "invalid_blocks"


async def test_dm_by_user_id_and_conversations_open_share_one_channel(fake: FakeSlack) -> None:
    web = client(fake)
    opened = await web.conversations_open(users="U1")
    await web.chat_postMessage(channel="U1", text="hello")

    assert [m.channel for m in fake.messages("U1")] == [opened["channel"]["id"]]


async def test_trigger_ids_are_single_use_and_live_three_seconds(
    fake: FakeSlack, clock: ManualClock
) -> None:
    web = client(fake)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"},
            "blocks": [{"type": "divider"}]}
    first = fake.issue_trigger("U1")
    await web.views_open(trigger_id=first, view=view)

    with pytest.raises(SlackApiError) as reused:
        await web.views_open(trigger_id=first, view=view)
    late = fake.issue_trigger("U1")
    clock.now += 3.5
    with pytest.raises(SlackApiError) as expired:
        await web.views_open(trigger_id=late, view=view)

    assert reused.value.response["error"] == "exchanged_trigger_id"
    assert expired.value.response["error"] == "expired_trigger_id"


async def test_response_urls_take_five_posts(fake: FakeSlack) -> None:
    url = fake.issue_response_url("C0CHANGES", "U1")
    async with aiohttp.ClientSession() as session:
        statuses = []
        for n in range(6):
            async with session.post(url, json={"text": f"n{n}"}) as response:
                statuses.append(response.status)

    assert statuses == [200] * 5 + [404]
    assert fake.ephemerals("U1") == [f"n{n}" for n in range(5)]


async def test_injected_429_carries_retry_after_and_the_retry_handler_resends(
    fake: FakeSlack,
) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)
    web = client(fake)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))

    await web.chat_postMessage(channel="C0CHANGES", text="after a 429")

    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(fake.messages("C0CHANGES")) == 1


async def test_injected_error_is_an_ok_false_answer(fake: FakeSlack) -> None:
    fake.fail_next("users.info", status=200, error="fatal_error")

    with pytest.raises(SlackApiError) as failed:
        await client(fake).users_info(user="U1")

    assert failed.value.response["error"] == "fatal_error"


async def test_directory_methods_answer_over_get(fake: FakeSlack) -> None:
    web = client(fake)

    user = await web.users_info(user="U1")
    group = await web.usergroups_users_list(usergroup="S1")
    with pytest.raises(SlackApiError) as unknown:
        await web.usergroups_users_list(usergroup="S404")

    assert user["user"]["tz"] == "America/New_York"
    assert group["users"] == ["U1", "U2"]
    assert unknown.value.response["error"] == "no_such_subteam"


async def test_tokens_are_checked(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as bad:
        await client(fake, "xoxb-wrong").auth_test()
    with pytest.raises(SlackApiError) as bot_token_for_socket:
        await client(fake).apps_connections_open(app_token=fake.workspace.bot_token)

    assert bad.value.response["error"] == "invalid_auth"
    assert bot_token_for_socket.value.response["error"] == "invalid_auth"
    assert (await client(fake).auth_test())["team_id"] == fake.workspace.team_id


async def test_home_is_published_per_user_and_every_call_is_journaled(fake: FakeSlack) -> None:
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    await client(fake).views_publish(user_id="U1", view=view)

    home = fake.home("U1")
    assert home is not None
    assert home.view["blocks"] == [{"type": "divider"}]
    assert [c.method for c in fake.calls] == ["views.publish"]


async def test_a_held_call_takes_effect_only_when_released(fake: FakeSlack) -> None:
    web = client(fake)
    held = fake.hold_next("views.publish", lambda args: args.get("user_id") == "U1")
    first = asyncio.create_task(web.views_publish(user_id="U1", view=home_of("first")))
    await asyncio.wait_for(held.arrived.wait(), 5)

    await web.views_publish(user_id="U1", view=home_of("second"))
    held.release()
    await first

    home = fake.home("U1")
    assert home is not None and home.view["blocks"] == home_of("first")["blocks"]
    assert [c.args["view"] for c in fake.calls_to("views.publish")] == [
        home_of("second"), home_of("first")]


def home_of(text: str) -> dict[str, object]:
    return {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                                     "text": text}}]}
