"""An approval Slack was told is recorded survives the process being killed right after; one the
process could not commit in time is acknowledged as not recorded, and is not (a real `serve`,
SIGKILLed, its SQLite file held by another process)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench import storm
from bench.processes import clean_env, start
from bot.composition import open_runtime
from bot.sandbox.fakeslack import FakeSlack, SlackDriver
from bot.sandbox.fakeslack.payloads import text_value
from bot.sandbox.fakeslack.state import Message
from bot.settings import Settings
from bot.slack.rendering import ids
from storage.database import create_database, open_database
from storage.sql.tokens import SqlTokens
from tests.slack.harness import CHANNEL, POLICY, REQUESTER, SECRET, SENIOR1, SENIOR2, workspace
from workflow.model import ChangeRequest

START_S = 30.0


async def bearer(url: str) -> str:
    """An API token of the requester, made in the database before the server starts."""
    db = await open_database(url, migrate=False)
    try:
        issued = await SqlTokens(db).create("req", REQUESTER, ["read", "submit"],
                                            datetime.now(UTC))
        return issued.bearer
    finally:
        await db.dispose()


async def proposed(server_url: str, token: str) -> str:
    """A high-risk change in review, proposed through the API as a pipeline does."""
    body = {"title": "Peer with AS65001", "family": "bgp", "action": "add", "target": "edge-1",
            "risk": "high", "payload": "neighbor 192.0.2.1",
            "dry_run": {"output": "+ neighbor 192.0.2.1"}, "submit": True}
    async with aiohttp.ClientSession() as session, session.post(
            f"{server_url}/api/v1/changes", json=body,
            headers={"Authorization": f"Bearer {token}"}) as answer:
        assert answer.status == 201, await answer.text()
        return str((await answer.json())["id"])


async def approvers(settings: Settings, change_id: str) -> list[str]:
    runtime = await open_runtime(settings)
    try:
        cr: ChangeRequest | None = await runtime.engine.get(change_id)
        assert cr is not None
        return [r.person for r in cr.live_responses()]
    finally:
        await runtime.close()


@contextlib.contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another process's write transaction: no commit of the server's gets through."""
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_recorded_acknowledgement_survives_a_kill_and_an_unrecorded_one_says_so(
        tmp_path: Path) -> None:
    policy, database = tmp_path / "changegate.yaml", tmp_path / "cg.db"
    policy.write_text(POLICY, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{database}"
    await create_database(url)
    settings = Settings(policy, url)
    token = await bearer(url)
    async with FakeSlack(workspace()) as fake:
        env = clean_env(CHANGEGATE_PORT="0", CHANGEGATE_DATABASE_URL=url,
                        SLACK_BOT_TOKEN=fake.workspace.bot_token, SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=fake.api_url, SLACK_CHANNEL=CHANNEL,
                        SLACK_TEAM_ID=fake.workspace.team_id)
        server = await start(["-m", "bot.cli", "serve", "--policy", str(policy)], env,
                             tmp_path / "serve.log", START_S)
        try:
            change_id = await proposed(server.url, token)
            card = await fake.wait_for(lambda: next(
                (m for m in fake.messages(CHANNEL) if m.text.startswith(f"{change_id} ")),
                None), START_S)
            assert isinstance(card, Message)
            async with SlackDriver(fake, f"{server.url}/slack/events", SECRET) as driver:
                first = storm.approve_form(fake, SENIOR1, card, SECRET)
                recorded = await driver.submit(SENIOR1, first, {
                    ids.COMMENT_BLOCK: text_value("")})
                with write_lock_held(database):
                    second = storm.approve_form(fake, SENIOR2, card, SECRET)
                    unrecorded = await driver.submit(SENIOR2, second, {
                        ids.COMMENT_BLOCK: text_value("")})
                    await server.kill()  # before the held decision could ever commit
        finally:
            await server.kill()

    assert recorded.status == 200 and "You approved revision 1" in str(recorded.json)
    assert unrecorded.status == 200 and "Not recorded yet" in str(unrecorded.json)
    assert await approvers(settings, change_id) == [SENIOR1]
