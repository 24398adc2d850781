"""A sandbox stopped and served again on the same files goes on where it stopped: the channels
show their cards (kept in its workspace file beside the database), the bot's stored cards still
name their messages, and no view id comes back, so the next proposal is a new change."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from bot.sandbox.serve import RunningSandbox
from bot.sandbox.workspace_file import workspace_path
from storage.database import sqlite_path
from tests.sandbox.support import CHANNEL, REQUESTER, SENIOR1, PageClient, serve_sandbox
from tests.sandbox.test_sandbox_http import State, approve, card, propose, shows, until

GOTO = re.compile(r'data-goto="([^"/]+)/([^"]+)"')


def workspace_file(sandbox: RunningSandbox) -> Path:
    settings = sandbox.runtime.settings
    return workspace_path(settings.database_url, settings.policy_path)


def ephemeral_card(state: State, change_id: str) -> dict[str, object]:
    """The newest card of a change shown to this person only (`/change show`)."""
    found = [m for m in state["conversations"][CHANNEL]
             if m["ephemeral"] and f"{change_id} · " in m["html"]]
    return found[-1] if found else {}


async def test_a_restart_mid_walk_keeps_the_cards_and_takes_the_next_proposal(tmp_path: Path
                                                                               ) -> None:
    async with aiohttp.ClientSession() as session:
        async with serve_sandbox(tmp_path) as first:
            client = PageClient(first, session)
            await propose(client)
            state = await until(client, SENIOR1, lambda s: shows(s, "0 of 2"))
            proposed = card(state)
            assert workspace_file(first).is_file()

        async with serve_sandbox(tmp_path) as second:
            client = PageClient(second, session)
            state = await client.state(SENIOR1)
            assert card(state)["ts"] == proposed["ts"]  # the card is still in its channel
            assert "Pending review" in card(state)["html"]
            assert state["modal"] is None  # a restart reloads every client: no modal is open

            await propose(client)  # refused before: its view id was CHG-1's idempotency key
            state = await until(client, SENIOR1, lambda s: bool(card(s, "CHG-2")))
            assert "Pending review" in card(state, "CHG-2")["html"]
            assert float(card(state, "CHG-2")["ts"]) > float(proposed["ts"])

            await approve(client, SENIOR1, "approved after the restart")  # on CHG-1's card
            state = await until(client, SENIOR1, lambda s: shows(s, "1 of 2"))
            assert card(state)["ts"] == proposed["ts"]  # updated in place, not posted again
            assert "@Sam Senior" in card(state)["html"]


async def test_after_a_restart_show_cards_act_and_home_leads_to_the_card(tmp_path: Path
                                                                          ) -> None:
    async with aiohttp.ClientSession() as session:
        async with serve_sandbox(tmp_path) as first:
            client = PageClient(first, session)
            await propose(client)
            await until(client, SENIOR1, lambda s: bool(card(s)))  # posted before the stop

        async with serve_sandbox(tmp_path) as second:
            client = PageClient(second, session)
            assert (await client.act(SENIOR1, kind="home"))["ok"]
            state = await until(client, SENIOR1, lambda s: bool(s["home"]) and "CHG-1" in
                                s["home"]["html"])
            links = GOTO.findall(state["home"]["html"])
            assert links, "the Home tab links no card"
            for channel, ts in links:  # "Open card" lands on the card, not on an empty channel
                assert any(m["ts"] == ts for m in state["conversations"][channel]), (channel, ts)

            assert (await client.act(SENIOR1, kind="slash", channel=CHANNEL,
                                     text="show CHG-1"))["ok"]
            state = await until(client, SENIOR1, lambda s: bool(ephemeral_card(s, "CHG-1")))
            shown = ephemeral_card(state, "CHG-1")
            answer = await client.act(SENIOR1, kind="click", surface="ephemeral",
                                      channel=CHANNEL, ts=shown["ts"], action_id="cg_approve")
            assert answer == {"ok": True}
            state = await until(client, SENIOR1, lambda s: bool(s["modal"]) and
                                s["modal"]["title"] == "Approve CHG-1")
            answer = await client.act(SENIOR1, kind="submit", view_id=state["modal"]["id"],
                                      values={"text": {"value": ""}})
            assert answer == {"ok": True}
            state = await until(client, REQUESTER, lambda s: shows(s, "1 of 2"))
            assert "@Sam Senior" in card(state)["html"]  # the card from before the restart


async def test_a_database_deleted_to_start_over_starts_the_channels_empty(tmp_path: Path
                                                                          ) -> None:
    async with aiohttp.ClientSession() as session:
        async with serve_sandbox(tmp_path) as first:
            client = PageClient(first, session)
            await propose(client)
            await until(client, REQUESTER, lambda s: bool(card(s)))
            database = sqlite_path(first.runtime.settings.database_url)
            assert database is not None
            kept = workspace_file(first)
        for name in (database.name, f"{database.name}-wal", f"{database.name}-shm"):
            (database.parent / name).unlink(missing_ok=True)

        async with serve_sandbox(tmp_path) as second:
            client = PageClient(second, session)
            state = await client.state(REQUESTER)
            assert state["conversations"][CHANNEL] == []  # no card of a change that is gone
            await propose(client)
            state = await until(client, REQUESTER, lambda s: bool(card(s, "CHG-1")))
            assert workspace_file(second) == kept  # the same file, emptied for the new database
