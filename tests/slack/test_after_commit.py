"""Every commit wakes what waits for it, whichever entrypoint made it: an API approval reaches
the Slack card at once, and a Slack approval wakes an API long-poll at once. The relay's idle
tick and the long-poll's re-read are set to an hour, so only the commit can explain either."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.api import ApiDependencies, mount_api
from bot.api.context import DEPENDENCIES
from bot.composition import api_for, open_runtime
from bot.sandbox.fakeslack import FakeSlack, SlackDriver
from tests.api.test_api_pipeline import ObservedWatch
from tests.slack.harness import POLICY, SECRET, SENIOR1, SENIOR2, Harness, settings_for, workspace
from tests.support.clock import TestClock
from tests.support.executor import ScriptedExecutor, SingleExecutorRegistry
from tests.support.pacing_clock import keeping_limits, paced_by
from workflow.model import ChangeRequest

AN_HOUR_S = 3600.0
WITHIN_S = 0.2  # from the commit to the card's update


@dataclass
class Both:
    """The bot's Slack side and its API, on one server and one engine."""

    bot: Harness
    api: ApiDependencies

    async def review(self, user: str, change_id: str) -> dict[str, Any]:
        """Approve through POST /changes/{id}/review with a fresh token of `user`, bound to the
        change as that user reads it first."""
        issued = await self.api.tokens.create(f"{user}-review", user, ("read", "review"),
                                              self.bot.clock.now())
        read = await self.call("GET", f"/changes/{change_id}", issued.bearer)
        digest = read["dry_run"]["digest"] if read["dry_run"] else "none"
        return await self.call("POST", f"/changes/{change_id}/review", issued.bearer,
                               {"approved": True, "revision": read["revision"],
                                "digest": digest})

    async def call(self, method: str, path: str, bearer: str,
                   body: dict[str, Any] | None = None) -> dict[str, Any]:
        async with aiohttp.ClientSession() as session, session.request(
                method, f"{self.bot.url}/api/v1{path}", json=body,
                headers={"Authorization": f"Bearer {bearer}"}) as response:
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer


@asynccontextmanager
async def slack_and_api(tmp_path: Path, storage: str) -> AsyncIterator[Both]:
    """The bot over memory or SQLite (the durable relay) with its API mounted, delivering only
    when a commit wakes it; paced as in production, by a PacingClock the fake keeps Slack's
    limits by."""
    policy = tmp_path / "changegate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    clock, executor = TestClock(), ScriptedExecutor()
    async with FakeSlack(workspace()) as fake:
        pacing = keeping_limits(fake)
        runtime = await open_runtime(settings_for(fake, policy), clock=clock,
                                     memory=storage == "memory",
                                     executors=SingleExecutorRegistry(executor),
                                     relay_idle_s=AN_HOUR_S, **paced_by(pacing))
        app = web.Application()
        runtime.add_routes(app)
        api = api_for(runtime)
        assert api is not None
        mount_api(app, api)
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        try:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            url = f"http://{host}:{port}"
            await runtime.start()
            async with SlackDriver(fake, f"{url}/slack/events", SECRET) as driver:
                bot = Harness(fake, runtime, driver, clock, executor, url, pacing)
                yield Both(bot, api[DEPENDENCIES])
        finally:
            await runtime.close()
            await runner.cleanup()


def updates_of(bot: Harness, card_ts: str) -> int:
    """How many chat.update calls the card has had."""
    return sum(1 for c in bot.fake.calls_to("chat.update") if c.args.get("ts") == card_ts)


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
async def test_an_api_approval_updates_the_card_at_its_commit(tmp_path: Path,
                                                              storage: str) -> None:
    async with slack_and_api(tmp_path, storage) as both:
        bot = both.bot
        cr = await bot.seed()
        card = await bot.card(cr.id)
        await bot.settled()  # nothing is being delivered now: the approval waits for a wake-up
        before = updates_of(bot, card.ts)
        loop = asyncio.get_running_loop()
        committed: list[float] = []

        def seen(changes: Sequence[ChangeRequest]) -> None:
            if any(c.id == cr.id for c in changes):
                committed.append(loop.time())

        bot.engine.on_commit(seen)
        approved = await both.review(SENIOR1, cr.id)
        assert approved["responses"][0]["person"] == SENIOR1

        await bot.fake.wait_for(lambda: updates_of(bot, card.ts) > before, within_s=1.0)
        assert loop.time() - committed[0] < WITHIN_S
        shown = await bot.card(cr.id)
        assert SENIOR1 in str(shown.blocks)


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
async def test_a_slack_approval_wakes_an_api_long_poll(tmp_path: Path, storage: str) -> None:
    async with slack_and_api(tmp_path, storage) as both:
        bot = both.bot
        both.api.wait_poll_s = AN_HOUR_S
        watch = ObservedWatch()
        both.api.watch = watch
        cr = await bot.seed()
        await both.review(SENIOR1, cr.id)
        issued = await both.api.tokens.create("waiter", SENIOR1, ("read",), bot.clock.now())
        waiting = asyncio.create_task(both.call(
            "GET", f"/changes/{cr.id}/wait?until=decided&timeout=60", issued.bearer))
        await asyncio.wait_for(watch.parked.wait(), 10)  # the long-poll read, and now waits

        await bot.approve(SENIOR2, await bot.card(cr.id), "looks right")
        waited = await asyncio.wait_for(waiting, 10)

        assert waited["reached"] is True
        assert waited["change"]["state"] == "approved"
        assert waited["waited_s"] < 10
