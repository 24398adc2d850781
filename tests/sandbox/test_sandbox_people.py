"""The sandbox's people follow its files while it runs: an edit of the users file is read again
at the next look at the page, a person the reloaded policy names appears with their name, and a
user group whose members changed is reported to the bot as Slack reports it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.people import watching
from bot.sandbox.serve import RunningSandbox
from tests.sandbox.support import REQUESTER, SENIOR1, PageClient
from tests.sandbox.test_sandbox_http import approve, card, propose, shows, until

DAVE = "U0DAVE"


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[PageClient]:
    async with aiohttp.ClientSession() as session:
        yield PageClient(sandbox, session)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def names(state: dict[str, object]) -> dict[str, str]:
    users = state["users"]
    assert isinstance(users, list)
    return {u["id"]: u["name"] for u in users}


async def test_an_edit_of_the_users_file_shows_at_the_next_look(sandbox: RunningSandbox,
                                                                client: PageClient,
                                                                tmp_path: Path) -> None:
    before = await client.state(REQUESTER)
    assert names(before)[SENIOR1] == "Sam Senior"

    edit(tmp_path / "sandbox-users.yaml", "real_name: Sam Senior", "real_name: Samuel Senior")
    edit(tmp_path / "sandbox-users.yaml", "{id: C0CAB, name: cab}", "{id: C0CAB, name: cab-room}")

    async with asyncio.timeout(5):  # a page waiting on its version is woken: it has news
        after = await client.state(REQUESTER, before["version"])
    assert after["version"] > before["version"]
    assert names(after)[SENIOR1] == "Samuel Senior"
    assert {"id": "C0CAB", "name": "cab-room"} in after["channels"]
    assert sandbox.workspace.fake.workspace.users[SENIOR1].real_name == "Samuel Senior"


async def test_a_malformed_users_file_leaves_the_people_as_they_were(client: PageClient,
                                                                     tmp_path: Path) -> None:
    (tmp_path / "sandbox-users.yaml").write_text("users: [{id: U0X, nickname: x}]\n",
                                                 encoding="utf-8")
    state = await client.state(REQUESTER)
    assert names(state)[SENIOR1] == "Sam Senior"


async def test_a_person_the_reloaded_policy_names_appears_by_name_and_can_act(
        sandbox: RunningSandbox, client: PageClient, tmp_path: Path) -> None:
    assert DAVE not in names(await client.state(REQUESTER))
    edit(tmp_path / "sandbox-users.yaml", "usergroups:", f"  - {{id: {DAVE}, name: dave, "
         "real_name: Dave Senior, title: senior engineer, tz: Europe/Dublin}\n\nusergroups:")
    edit(tmp_path / "sandbox.yaml", "members: [U0SAM, U0SUE, U0SID]",
         f"members: [U0SAM, U0SUE, U0SID, {DAVE}]")
    assert sandbox.runtime.policy.reload().changed  # as the policy watcher or SIGHUP does

    state = await client.state(DAVE)
    assert state["me"] == DAVE and names(state)[DAVE] == "Dave Senior"
    await propose(client)  # under the new policy (a change keeps the one it was proposed under)
    await approve(client, DAVE, "new on the team")
    state = await until(client, REQUESTER, lambda s: shows(s, "1 of 2"))
    assert "@Dave Senior" in card(state)["html"]
    assert "@U0DAVE" not in card(state)["html"]


async def test_a_changed_user_group_is_reported_to_the_bot(sandbox: RunningSandbox,
                                                           client: PageClient,
                                                           tmp_path: Path) -> None:
    fake = sandbox.workspace.fake
    await propose(client, risk="medium")  # one of the network-engineers user group
    await until(client, REQUESTER, lambda s: bool(card(s)))
    looked_up = len(fake.calls_to("usergroups.users.list"))
    assert looked_up >= 1

    edit(tmp_path / "sandbox-users.yaml", "members: [U0NINA, U0RITA]",
         f"members: [U0NINA, U0RITA, {SENIOR1}]")
    await client.state(REQUESTER)
    await fake.wait_for(lambda: len(fake.calls_to("usergroups.users.list")) > looked_up)
    assert fake.calls_to("usergroups.users.list")[-1].response["users"] == [
        "U0NINA", "U0RITA", SENIOR1]
    await approve(client, SENIOR1)  # a member now, without waiting for the cache to expire
    state = await until(client, REQUESTER, lambda s: "@Sam Senior" in card(s).get("html", ""))
    assert "Pending review" not in card(state)["html"]


async def test_the_watcher_reads_the_people_again_at_each_interval() -> None:
    looked: list[str] = []
    slept: list[float] = []
    enough = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    async def refresh() -> None:
        looked.append("look")
        if len(looked) == 3:
            enough.set()

    async with watching(refresh, 2.5, sleep):
        await asyncio.wait_for(enough.wait(), 5)
    assert set(slept) == {2.5}
    counted = (len(looked), len(slept))

    async with watching(refresh, 0, sleep):  # CHANGEGATE_POLICY_WATCH_SECONDS=0: never
        for _ in range(10):
            await asyncio.sleep(0)
    assert (len(looked), len(slept)) == counted
