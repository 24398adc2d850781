"""What the sandbox adds to the fake Slack: mounting under a prefix, a change counter, closing
modals, buttons told apart by value, and clicks on ephemeral messages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.fakeslack import FakeSlack, SlackDriver, Workspace
from bot.sandbox.fakeslack.state import Ephemeral, ViewRecord


class App:
    """A stand-in for the bot: records every interaction payload and acknowledges it."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    async def events(self, request: web.Request) -> web.Response:
        form = parse_qs(await request.text())
        self.payloads.append(json.loads(form["payload"][0]))
        return web.Response(text="")


@pytest.fixture
async def mounted() -> AsyncIterator[tuple[FakeSlack, TestServer, App]]:
    workspace = Workspace()
    workspace.add_channel("C0CHANGES")
    workspace.add_user("U1", "ana", real_name="Ana Admin")
    fake = FakeSlack(workspace)
    app = App()
    host = web.Application()
    fake.add_routes(host, "/sandbox")
    host.router.add_post("/slack/events", app.events)
    server = TestServer(host)
    await server.start_server()
    fake.base_url = str(server.make_url("/sandbox"))
    try:
        yield fake, server, app
    finally:
        await server.close()


async def test_the_web_api_answers_under_a_prefix_and_counts_changes(
        mounted: tuple[FakeSlack, TestServer, App]) -> None:
    fake, _, _ = mounted
    client = AsyncWebClient(token=fake.workspace.bot_token, base_url=fake.api_url)
    before = fake.version

    info = await client.users_info(user="U1")
    posted = await client.chat_postMessage(channel="C0CHANGES", text="hello")

    assert fake.api_url.endswith("/sandbox/api/")
    assert info["user"]["real_name"] == "Ana Admin"
    assert fake.version == before + 2
    assert await fake.wait_for(lambda: fake.version > before + 1, 1.0)
    assert fake.messages("C0CHANGES")[0].ts == posted["ts"]
    assert fake.messages("C0CHANGES")[0].posted > 0


async def test_closing_a_modal_closes_its_stack(mounted: tuple[FakeSlack, TestServer, App]
                                               ) -> None:
    fake, _, _ = mounted
    root = ViewRecord("V1", "U1", {"type": "modal"}, "h1", "V1")
    pushed = ViewRecord("V2", "U1", {"type": "modal"}, "h2", "V1")
    other = ViewRecord("V3", "U1", {"type": "modal"}, "h3", "V3")
    fake.state.views.update({"V1": root, "V2": pushed, "V3": other})

    fake.close_view(pushed)

    assert [v.id for v in fake.open_views("U1")] == ["V3"]


async def test_buttons_sharing_an_action_id_are_told_apart_by_value(
        mounted: tuple[FakeSlack, TestServer, App]) -> None:
    fake, server, app = mounted
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"CHG-{n}"},
               "accessory": {"type": "button", "action_id": "open", "value": f"CHG-{n}",
                             "text": {"type": "plain_text", "text": "Open"}}} for n in (1, 2)]
    home = ViewRecord("V9", "U1", {"type": "home", "blocks": blocks}, "h", "V9")
    ephemeral = Ephemeral("C0CHANGES", "U1", "card", blocks, "response_url", "5.000001")

    async with SlackDriver(fake, str(server.make_url("/slack/events")), "secret") as driver:
        assert (await driver.click_in_view("U1", home, "open", "CHG-2")).status == 200
        assert (await driver.click_ephemeral("U1", ephemeral, "open")).status == 200
        with pytest.raises(LookupError):
            await driver.click_in_view("U1", home, "open", "CHG-3")

    first, second = app.payloads
    assert first["actions"][0]["value"] == "CHG-2"
    assert second["actions"][0]["value"] == "CHG-1"
    assert second["container"] == {"type": "message", "message_ts": "5.000001",
                                   "channel_id": "C0CHANGES", "is_ephemeral": True}
