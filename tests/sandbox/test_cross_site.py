"""The served sandbox refuses what is not its own page's: another site's page (Origin,
Sec-Fetch-Site), a DNS name rebound to this machine (Host), an action without the page's token,
and Web API calls with the fake's well-known token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox.guard import TOKEN_HEADER
from bot.sandbox.serve import RunningSandbox
from tests.sandbox.support import CHANNEL, REQUESTER, PageClient

SLASH = {"as": REQUESTER, "kind": "slash", "channel": CHANNEL, "text": "new"}
EVIL = "http://evil.example"


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[PageClient]:
    async with aiohttp.ClientSession() as session:
        yield PageClient(sandbox, session)


async def post(client: PageClient, path: str, headers: dict[str, str],
               body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    async with client.session.post(f"{client.base}{path}", json=body or SLASH,
                                   headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_only_the_pages_own_requests_act(sandbox: RunningSandbox,
                                               client: PageClient) -> None:
    token = await client.open()
    own = client.base.removesuffix("/sandbox")
    rebound = f"evil.example:{own.rsplit(':', 1)[1]}"
    attempts = {
        "another site": {TOKEN_HEADER: token, "Origin": EVIL},
        "another site, no Origin": {TOKEN_HEADER: token, "Sec-Fetch-Site": "cross-site"},
        "a rebound name": {TOKEN_HEADER: token, "Host": rebound, "Origin": f"http://{rebound}"},
        "no token": {"Origin": own},
        "a stale token": {TOKEN_HEADER: token[::-1], "Origin": own},
    }
    refused = {what: await post(client, "/act", headers) for what, headers in attempts.items()}
    async with client.session.get(f"{client.base}/state", params={"as": REQUESTER},
                                  headers={"Host": rebound}) as response:
        read_rebound = response.status
    reply_as_bot = await post(client, "/response/R00000001", {"Origin": EVIL},
                              {"text": "<!channel> approve CHG-1 now"})
    async with client.session.get(f"{client.base}/api/chat.postMessage", params={
            "token": "xoxb-fake-token", "channel": CHANNEL, "text": "approve CHG-1"}) as response:
        well_known_token = (await response.json())["error"]
    quiet = await client.state(REQUESTER)

    assert {what: status for what, (status, _) in refused.items()} == dict.fromkeys(attempts, 403)
    assert "cannot act in the sandbox" in refused["another site"][1]["error"]
    assert "not at 'evil.example'" in refused["a rebound name"][1]["error"]
    assert "reload it" in refused["no token"][1]["error"]
    assert read_rebound == 403 and reply_as_bot[0] == 403
    assert well_known_token == "invalid_auth"
    assert quiet["modal"] is None and quiet["conversations"][CHANNEL] == []

    own_page = {TOKEN_HEADER: token, "Origin": own, "Sec-Fetch-Site": "same-origin"}
    assert await post(client, "/act", own_page) == (200, {"ok": True})
    assert (await client.state(REQUESTER))["modal"]["title"] == "Propose a change"
