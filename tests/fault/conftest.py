"""A live `changegate serve` process (SQLite, Slack in HTTP mode against the fake Slack, the REST
API), shared by every bad-input test, and a way to tell whether anything changed."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from sqlalchemy import func, select

from bench.processes import Server, clean_env, start
from bot.sandbox.fakeslack import FakeSlack, SlackDriver
from storage.database import create_database, open_database
from storage.sql.engines import Database
from storage.sql.schema import api_tokens, audit_events, change_requests, outbox, slack_cards
from storage.sql.tokens import SqlTokens
from tests.slack.harness import CHANNEL, POLICY, REQUESTER, SECRET, SENIOR1, SENIOR2, workspace

PEOPLE = (REQUESTER, SENIOR1, SENIOR2)
WRITE_METHODS = frozenset({"chat.postMessage", "chat.update"})  # what people see in channels


@dataclass(frozen=True)
class Snapshot:
    """Everything a request could change: stored changes, audit (refusals aside), outbox,
    tokens, and what was posted to Slack."""

    changes: tuple[tuple[str, int], ...]
    audit: int
    outbox: int
    tokens: int
    cards: int
    slack_writes: int


@dataclass(repr=False)
class Live:
    """The running server and handles on what it runs against."""

    server: Server
    db: Database
    fake: FakeSlack
    driver: SlackDriver
    session: aiohttp.ClientSession
    tokens: dict[str, str]
    change_id: str

    @property
    def url(self) -> str:
        return self.server.url

    def __repr__(self) -> str:
        return f"Live({self.url})"

    async def snapshot(self) -> Snapshot:
        return await snapshot(self.db, self.fake)

    async def request(self, method: str, path: str, *, data: bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, str]:
        body = io.BytesIO(data) if data is not None else None
        async with self.session.request(method, f"{self.url}{path}", data=body,
                                        headers=headers or {}) as answer:
            return answer.status, await answer.text()

    async def healthy(self) -> bool:
        status, _ = await self.request("GET", "/healthz")
        return status == 200


async def snapshot(db: Database, fake: FakeSlack) -> Snapshot:
    """What `db` and `fake` hold now, as far as a request could change it."""
    async with db.reader.connect() as conn:
        changes = tuple((r.id, r.version) for r in await conn.execute(
            select(change_requests.c.id, change_requests.c.version)
            .order_by(change_requests.c.id)))
        audit = await conn.scalar(select(func.count()).select_from(audit_events)
                                  .where(audit_events.c.kind != "refused"))
        queued = await conn.scalar(select(func.count()).select_from(outbox))
        tokens = await conn.scalar(select(func.count()).select_from(api_tokens))
        cards = await conn.scalar(select(func.count()).select_from(slack_cards))
    writes = sum(1 for c in fake.calls if c.method in WRITE_METHODS and c.ok)
    return Snapshot(changes, int(audit or 0), int(queued or 0), int(tokens or 0),
                    int(cards or 0), writes)


async def settle(live: Live) -> None:
    """Wait until the outbox is delivered (bounded), so later snapshots compare like with like."""
    await delivered(live.db)


async def delivered(db: Database) -> None:
    """Wait until every outbox message in `db` is delivered (bounded)."""
    for _ in range(500):
        async with db.reader.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(outbox).where(
                outbox.c.delivered_at.is_(None)))
        if not left:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox was not delivered")


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def live(tmp_path_factory: Any) -> AsyncIterator[Live]:
    directory: Path = tmp_path_factory.mktemp("live")
    policy = directory / "changegate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{directory / 'changegate.db'}"
    await create_database(url)
    db = await open_database(url, migrate=False)
    tokens = SqlTokens(db)
    bearers = {p: (await tokens.create(p.lower(), p, ["read", "submit", "review", "apply"],
                                       datetime.now(UTC))).bearer for p in PEOPLE}
    bearers["reader"] = (await tokens.create("reader", SENIOR1, ["read"],
                                             datetime.now(UTC))).bearer
    async with FakeSlack(workspace()) as fake:
        env = clean_env(CHANGEGATE_POLICY=str(policy), CHANGEGATE_DATABASE_URL=url,
                        CHANGEGATE_PORT="0", SLACK_BOT_TOKEN=fake.workspace.bot_token,
                        SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url,
                        SLACK_CHANNEL=CHANNEL, SLACK_TEAM_ID=fake.workspace.team_id)
        server = await start(["-m", "bot.cli", "serve"], env, directory / "serve.log")
        try:
            async with aiohttp.ClientSession() as session, \
                    SlackDriver(fake, f"{server.url}/slack/events", SECRET) as driver:
                body = {"title": "Peer with AS65001", "family": "bgp", "action": "add",
                        "target": "edge-1", "risk": "high", "payload": "neighbor 192.0.2.1",
                        "dry_run": {"output": "+ neighbor"}, "submit": True}
                async with session.post(f"{server.url}/api/v1/changes", json=body, headers={
                        "Authorization": f"Bearer {bearers[REQUESTER]}"}) as answer:
                    assert answer.status == 201, await answer.text()
                    change_id = (await answer.json())["id"]
                found = Live(server, db, fake, driver, session, bearers, change_id)
                await fake.wait_for(lambda: any(m.text.startswith(f"{change_id} ")
                                                for m in fake.messages(CHANNEL)), 30)
                await settle(found)
                yield found
        finally:
            assert await server.stop() == 0
            await db.dispose()
