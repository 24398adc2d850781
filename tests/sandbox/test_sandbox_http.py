"""The sandbox served in-process: page, state and actions reach the real bot, no browser needed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.guard import TOKEN_HEADER
from bot.sandbox.serve import RunningSandbox
from bot.server import SHUTDOWN_TIMEOUT
from tests.sandbox.support import (
    CHANNEL,
    PROPOSAL,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    PageClient,
    serve_sandbox,
)

State = dict[str, Any]


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[PageClient]:
    async with aiohttp.ClientSession() as session:
        yield PageClient(sandbox, session)


async def until(client: PageClient, user: str, check: Callable[[State], bool],
                within_s: float = 20.0) -> State:
    """Long-poll the state `user` sees until `check` holds (bounded by `within_s`)."""
    async with asyncio.timeout(within_s):
        state = await client.state(user)
        while not check(state):
            state = await client.state(user, state["version"])
        return state


def card(state: State, change_id: str = "CHG-1", channel: str = CHANNEL) -> dict[str, Any]:
    for message in state["conversations"][channel]:
        if f"{change_id} · " in message["html"] and not message["ephemeral"]:
            return message
    return {}


def thread(state: State, change_id: str = "CHG-1") -> list[dict[str, Any]]:
    found = card(state, change_id)
    return state["threads"].get(f"{CHANNEL}/{found.get('ts')}", [])


def shows(state: State, text: str, change_id: str = "CHG-1") -> bool:
    return text in card(state, change_id).get("html", "")


async def propose(client: PageClient, risk: str = "high") -> None:
    """Rita fills in /change new; the change is submitted and its dry-run taken."""
    assert (await client.act(REQUESTER, kind="slash", channel=CHANNEL, text="new"))["ok"]
    state = await until(client, REQUESTER, lambda s: bool(s["modal"]))
    values = {**PROPOSAL, "risk": {"value": risk}}
    answer = await client.act(REQUESTER, kind="submit", view_id=state["modal"]["id"],
                              values=values)
    assert answer == {"ok": True}
    await until(client, REQUESTER, lambda s: s["modal"] and s["modal"]["title"] ==
                "Change submitted" and "dry-run ran" in s["modal"]["html"])


async def approve(client: PageClient, user: str, comment: str = "", *, form: bool = True
                  ) -> None:
    """Press Approve on the card and, unless the person is refused at once, submit its form."""
    state = await until(client, user, lambda s: bool(card(s)))
    answer = await client.act(user, kind="click", surface="message", channel=CHANNEL,
                              ts=card(state)["ts"], action_id="cg_approve")
    assert answer == {"ok": True}
    if not form:
        return
    state = await until(client, user, lambda s: bool(s["modal"]) and
                        s["modal"]["title"] == "Approve CHG-1")
    answer = await client.act(user, kind="submit", view_id=state["modal"]["id"],
                              values={"text": {"value": comment}})
    assert answer == {"ok": True}
    await until(client, user, lambda s: "You approved" in s["modal"]["html"])


async def test_the_page_its_files_and_the_bots_routes_are_served(sandbox: RunningSandbox
                                                                  ) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(sandbox.page_url) as response:
            assert response.status == 200
            assert '<script src="/sandbox/static/sandbox.js">' in await response.text()
        for name, kind in (("sandbox.js", "text/javascript"), ("sandbox-act.js", "text/javascript"),
                           ("sandbox.css", "text/css")):
            async with session.get(f"{sandbox.page_url}/static/{name}") as response:
                assert (response.status, response.content_type) == (200, kind)
        async with session.get(f"{sandbox.page_url}/static/secrets.txt") as response:
            assert response.status == 404
        for root in (f"{sandbox.page_url}/", f"{sandbox.url}/"):
            async with session.get(root, allow_redirects=False) as response:
                assert (response.status, response.headers["Location"]) == (302, "/sandbox"), root
        for path in ("/healthz", "/api/v1/readyz"):
            async with session.get(sandbox.url + path) as response:
                assert response.status == 200, path
        async with session.post(sandbox.url + "/slack/events", data=b"x") as response:
            assert response.status == 401  # the real, signed endpoint


async def test_quickstart_without_a_browser(client: PageClient) -> None:
    assert (await client.act(REQUESTER, kind="slash", channel=CHANNEL, text="new"))["ok"]
    state = await until(client, REQUESTER, lambda s: bool(s["modal"]))
    assert state["modal"]["title"] == "Propose a change"
    assert 'type="datetime-local"' in state["modal"]["html"]
    missing = await client.act(REQUESTER, kind="submit", view_id=state["modal"]["id"],
                               values={"title": {"value": "  "}})
    assert missing["errors"]["title"] == "Please complete this required field."
    assert "description" not in missing["errors"]  # optional

    await propose(client)
    state = await until(client, SENIOR1, lambda s: shows(s, "+neighbor 192.0.2.1 remote-as"))
    assert "Pending review" in card(state)["html"]  # with the demo executor's diff above
    assert "@Rita Requester" in card(state)["html"]

    await approve(client, REQUESTER, form=False)
    state = await until(client, REQUESTER, lambda s: any(
        m["ephemeral"] for m in s["conversations"][CHANNEL]))
    refusal = next(m for m in state["conversations"][CHANNEL] if m["ephemeral"])
    assert "four-eyes" in refusal["html"]
    others = await client.state(SENIOR1)
    assert not any(m["ephemeral"] for m in others["conversations"][CHANNEL])

    await approve(client, SENIOR1, "checked the peer's AS")
    await until(client, SENIOR1, lambda s: shows(s, "1 of 2"))
    await approve(client, SENIOR2)
    state = await until(client, SENIOR2, lambda s: shows(s, "Applied") and any(
        "Applied" in reply["html"] for reply in thread(s)))
    assert "apply started by ChangeGate" in card(state)["html"]  # apply: auto
    dm = state["conversations"][state["dm"]]
    assert len([m for m in dm if "CHG-1 · " in m["html"]]) == 1  # Sue's own, as an approver
    rita = await client.state(REQUESTER)
    assert any("CHG-1 · " in m["html"] for m in rita["conversations"][rita["dm"]])


async def test_the_home_tab_is_published_when_opened(client: PageClient) -> None:
    assert (await client.act(SENIOR1, kind="home"))["ok"]
    state = await until(client, SENIOR1, lambda s: bool(s["home"]))
    assert "Awaiting my approval" in state["home"]["html"]


async def test_bad_requests_are_refused(sandbox: RunningSandbox, client: PageClient) -> None:
    async with client.session.post(f"{sandbox.page_url}/act", data='{"as": "U0RITA"}',
                                   headers={"Content-Type": "text/plain",
                                            TOKEN_HEADER: await client.open()}) as response:
        assert response.status == 415  # a cross-site form cannot act for anyone
    assert (await client.act("U0NOBODY", kind="home"))["error"] == "no sandbox user 'U0NOBODY'"
    assert "unknown kind" in (await client.act(REQUESTER, kind="dance"))["error"]
    assert (await client.act(REQUESTER, kind="click", surface="message", channel=CHANNEL,
                             ts="1.000001", action_id="cg_approve"))["error"] == \
        "that message is gone"
    assert "no conversation" in (await client.act(REQUESTER, kind="slash", channel="DSAM",
                                                  text="list"))["error"]
    assert (await client.act(REQUESTER, kind="close", view_id="V1"))["error"] == \
        "that window is closed"
    unknown = await client.act(REQUESTER, kind="slash", command="/deploy", channel=CHANNEL)
    assert unknown == {"ok": False, "error": "/deploy is not a command of this app"}


async def test_an_unknown_person_sees_the_first_one(client: PageClient) -> None:
    state = await client.state("U0NOBODY")
    assert state["me"] == REQUESTER
    assert [u["id"] for u in state["users"]][:2] == [REQUESTER, SENIOR1]
    assert state["channels"] == [{"id": "C0CHANGES", "name": "changes"},
                                 {"id": "C0CAB", "name": "cab"}]


async def test_a_version_of_an_earlier_run_is_answered_at_once(client: PageClient) -> None:
    async with asyncio.timeout(5):  # a poll waits 25 s when nothing changes
        state = await client.state(REQUESTER, after=10_000)
    assert state["version"] < 10_000


async def test_a_long_poll_answers_after_a_while_without_changes(tmp_path: Path) -> None:
    async with serve_sandbox(tmp_path, poll_s=0.05) as sandbox, \
            aiohttp.ClientSession() as session:
        client = PageClient(sandbox, session)
        first = await client.state(REQUESTER)
        again = await client.state(REQUESTER, first["version"])
        assert again["version"] == first["version"]


async def test_stopping_wakes_waiting_long_polls(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        async with serve_sandbox(tmp_path) as sandbox:
            client = PageClient(sandbox, session)
            version = (await client.state(REQUESTER))["version"]
            waiting = asyncio.create_task(client.state(REQUESTER, version))
            for _ in range(500):  # bounded: until the request waits in the server
                if sandbox.workspace.page.waiting:
                    break
                await asyncio.sleep(0.01)
            assert sandbox.workspace.page.waiting == 1
            started = time.monotonic()
        stopped_in = time.monotonic() - started
        assert (await waiting)["version"] > version
        assert stopped_in < SHUTDOWN_TIMEOUT / 2

