"""`serve --role web|relay` run apart on one SQLite file: the web runtime commits and leaves every
Slack post and card update in the outbox (no relay, no card follower); a relay runtime on the
same database delivers them, woken by nothing but its idle poll (the web's commits are not its
engine's), and what was committed while no relay ran is delivered by the next one."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.composition import Runtime, open_runtime
from bot.sandbox.fakeslack import FakeSlack
from bot.server import create_app
from bot.settings import Role
from bot.slack.outbound.pacing import SlackPacer
from tests.slack.harness import CHANNEL, POLICY, REQUESTER, SENIOR1, blocks_text, settings_for
from tests.slack.harness import workspace as slack_workspace
from tests.support.executor import ScriptedExecutor, SingleExecutorRegistry
from workflow.model import Content, Metadata, Risk
from workflow.seen import Seen

DELIVERED_WITHIN_S = 10.0
POLL_S = 0.02


class Tap:
    """A pass-through to the fake Slack's Web API that records the methods called through it:
    what one runtime, and only that one, asked of Slack."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.methods: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/api/"
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        method = request.match_info["method"]
        self.methods.append(method)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("authorization", "content-type")}
        async with self._session.request(request.method, self.fake.api_url + method,
                                         params=request.query, data=await request.read(),
                                         headers=headers) as answer:
            return web.Response(body=await answer.read(), status=answer.status,
                                content_type=answer.content_type,
                                headers={k: v for k, v in answer.headers.items()
                                         if k.lower() == "retry-after"})


@asynccontextmanager
async def runtime_as(role: Role, fake: FakeSlack, tmp_path: Path, api_url: str | None = None
                     ) -> AsyncIterator[Runtime]:
    """A runtime of `role` over the SQLite file in `tmp_path`, started (as serve starts it),
    keeping Slack's limits as serve does (so a card follower would be wired if the role had
    one); `api_url` instead of the fake's own Web API address."""
    policy = tmp_path / "changegate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    settings = settings_for(fake, policy,
                            database_url=f"sqlite+aiosqlite:///{tmp_path / 'changegate.db'}")
    settings = replace(settings, role=role, slack_api_url=api_url or settings.slack_api_url)
    runtime = await open_runtime(settings, executors=SingleExecutorRegistry(ScriptedExecutor()),
                                 pacing_s=0, pacer=SlackPacer())
    try:
        await runtime.start()
        yield runtime
    finally:
        await runtime.close()


def undelivered(tmp_path: Path) -> int:
    with closing(sqlite3.connect(tmp_path / "changegate.db")) as db:
        return int(db.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL "
                              "AND dead_at IS NULL").fetchone()[0])


async def until(done: Callable[[], bool], within_s: float = DELIVERED_WITHIN_S) -> None:
    """Poll what another runtime wrote to the database, until it is done or the deadline
    passes (nothing in this process is told when it is)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not done():
        assert asyncio.get_running_loop().time() < deadline, f"not done in {within_s} s"
        await asyncio.sleep(POLL_S)


def card_of(fake: FakeSlack, change_id: str, shows: str = "") -> bool:
    return any(m.text.startswith(f"{change_id} ") and shows in blocks_text(m) + m.text
               for m in fake.messages(CHANNEL))


async def test_web_commits_into_the_outbox_and_the_relay_on_its_database_delivers(
        tmp_path: Path) -> None:
    content = Content("bgp", "add", "edge-1", Risk.HIGH, "neighbor 192.0.2.1",
                      "no neighbor 192.0.2.1")
    async with FakeSlack(slack_workspace()) as fake:
        tap = Tap(fake)
        await tap.start()
        try:
            async with runtime_as(Role.WEB, fake, tmp_path, tap.url) as web_side:
                cr = await web_side.engine.propose(REQUESTER, content, Metadata("Add BGP"),
                                                   dry_run_output="+ neighbor", submit=True)
                assert undelivered(tmp_path) > 0  # left for the relay
                assert fake.calls_to("chat.postMessage") == []
                assert web_side.timers.armed()[cr.id] == cr.remind_at  # the web's timers run

                async with runtime_as(Role.RELAY, fake, tmp_path) as relay_side:
                    await fake.wait_for(lambda: card_of(fake, cr.id), DELIVERED_WITHIN_S)
                    assert relay_side.timers.armed() == {}  # deadlines are the web's

                # with no relay running, nothing but the web could bring the card up to date
                approved = await web_side.engine.approve(cr.id, SENIOR1, Seen.of(cr))
                assert approved.version > cr.version
                async with runtime_as(Role.RELAY, fake, tmp_path):  # a relay restarted
                    await fake.wait_for(lambda: card_of(fake, cr.id, "1 of 2: <@USEN1>"),
                                        DELIVERED_WITHIN_S)
                    await until(lambda: undelivered(tmp_path) == 0)  # marked so in the database
        finally:
            await tap.close()
    assert "auth.test" in tap.methods  # the web runtime's calls all went through the tap
    touched = [m for m in tap.methods if m.startswith(("chat.", "conversations.", "views."))]
    assert touched == []  # no card, reply, DM or home from the web, not even an update


async def test_a_relay_process_serves_its_health_checks_and_nothing_else(tmp_path: Path) -> None:
    async with FakeSlack(slack_workspace()) as fake, \
            runtime_as(Role.RELAY, fake, tmp_path) as relay_side:
        runner = web.AppRunner(create_app("test-policy", relay_side))
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            base = f"http://{host}:{port}"
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/healthz") as health:
                    assert health.status == 200
                    assert (await health.json())["role"] == "relay"
                async with session.get(f"{base}/api/v1/readyz") as ready:
                    assert ready.status == 200, await ready.text()
                for method, path in (("POST", "/slack/events"), ("GET", "/api/v1/changes"),
                                     ("POST", "/api/v1/changes"), ("GET", "/")):
                    async with session.request(method, f"{base}{path}") as answer:
                        assert answer.status in (404, 405), (path, answer.status)
        finally:
            await runner.cleanup()
