"""The real bot on an ephemeral port, its Web API at a fake Slack, driven by signed requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.composition import Runtime, open_runtime
from bot.sandbox.fakeslack import FakeSlack, SlackDriver, Workspace
from bot.sandbox.fakeslack.payloads import choice_value, datetime_value, text_value
from bot.sandbox.fakeslack.state import Message, ViewRecord
from bot.server import create_app
from bot.settings import Settings
from bot.slack.outbound.pacing import SlackPacer
from bot.slack.rendering import ids
from bot.slack.rendering.modals import REFUSED_BLOCK
from tests.support.clock import TestClock
from tests.support.executor import ScriptedExecutor, SingleExecutorRegistry
from tests.support.pacing_clock import (
    PacingClock,
    keeping_limits,
    paced_by,
)
from workflow.engine import Engine
from workflow.model import ChangeRequest, Content, Metadata, Risk, State

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0CHANGES"
CAB_CHANNEL = "C0CAB"
REQUESTER, SENIOR1, SENIOR2, SENIOR3, CAB1, ENGINEER, CONTRACTOR = (
    "UREQ", "USEN1", "USEN2", "USEN3", "UCAB1", "UENG1", "UCON1")
POLICY = f"""
defaults: {{dry_run_ttl: 30m, approval_timeout: 72h, reminder_after: 4h}}
groups:
  network-engineers: {{slack_usergroup: S01NETENG}}
  senior-network-engineers: {{members: [{SENIOR1}, {SENIOR2}, {SENIOR3}, {REQUESTER}]}}
  change-advisory-board: {{members: [{CAB1}]}}
  contractors: {{members: [{CONTRACTOR}]}}
submit_rules:
  - {{groups: [contractors], family: core-router, actions: [reload], policy: deny}}
workflows:
  - name: critical
    priority: 10
    match: {{risk: critical}}
    channel: {CAB_CHANNEL}
    stages:
      - {{name: Senior review, require: [{{group: senior-network-engineers, count: 2}}]}}
      - {{name: Change Advisory Board, require: [{{group: change-advisory-board, count: 1}}]}}
  - {{name: high, priority: 20, match: {{risk: high}},
     stages: [{{name: Senior review, require: [{{group: senior-network-engineers, count: 2}}],
                denial_message: "Seniors review on weekdays; resubmit <with> the peer's ASN"}}]}}
  - {{name: medium, priority: 30, match: {{risk: medium}},
     stages: [{{require: [{{group: network-engineers, count: 1}}]}}]}}
  - {{name: low, priority: 40, match: {{risk: low}}, stages: []}}
"""


def workspace() -> Workspace:
    """Channels, people with their time zones, and the engineers' user group."""
    w = Workspace()
    for channel in (CHANNEL, CAB_CHANNEL):
        w.add_channel(channel)
    w.add_user(REQUESTER, "rita", "Europe/Berlin", 3600)
    w.add_user(SENIOR1, "sam", "America/New_York", -18000)
    w.add_user(SENIOR2, "sue", "Asia/Tokyo", 32400)
    w.add_user(SENIOR3, "sid")
    w.add_user(CAB1, "cat")
    w.add_user(CONTRACTOR, "con")
    w.add_usergroup("S01NETENG", "network-engineers", [ENGINEER, SENIOR1])
    return w


def blocks_text(message: Message | ViewRecord) -> str:
    """Everything a message or view shows (a view's title too), as one searchable string."""
    shown = message.blocks if isinstance(message, Message) else message.view
    return json.dumps(shown, ensure_ascii=False)


def refused_in(view: ViewRecord) -> bool:
    """The form is shown again, led by a refusal (bot/slack/rendering/modals.py refilled)."""
    return any(b.get("block_id") == REFUSED_BLOCK for b in view.view.get("blocks", []))


def buttons(message: Message) -> list[str]:
    """Action ids of the buttons a message offers."""
    return [e["action_id"] for b in message.blocks if b["type"] == "actions"
            for e in b["elements"]]


def proposal_values(title: str = "Add BGP session to AS65001", risk: str = "high",
                    schedule: int | None = None, **fields: str) -> dict[str, dict[str, object]]:
    """What a person types into the proposal form."""
    typed = {"description": "", "family": "bgp", "action": "add", "target": "edge-1",
             "payload": "neighbor 192.0.2.1 remote-as 65001",
             "rollback_plan": "no neighbor 192.0.2.1", "ticket": "CHG-3192", **fields}
    values: dict[str, dict[str, object]] = {k: text_value(v) for k, v in typed.items()}
    values["title"] = text_value(title)
    values["risk"] = choice_value(risk)
    values["schedule"] = datetime_value(schedule)
    return values


@dataclass
class Harness:
    """One running bot, its fake Slack, and handles on both."""

    fake: FakeSlack
    runtime: Runtime
    driver: SlackDriver
    clock: TestClock
    executor: ScriptedExecutor
    url: str
    pacing: PacingClock | None = None  # what Slack's limits are kept by; None: unpaced

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    async def seed(self, risk: str = "high", requester: str = REQUESTER,
                   title: str = "Add BGP session") -> ChangeRequest:
        """A submitted change with its dry-run, made through the engine; waits for its card."""
        content = Content("bgp", "add", "edge-1", Risk(risk), "neighbor 192.0.2.1",
                          "no neighbor 192.0.2.1")
        cr = await self.engine.propose(requester, content, Metadata(title, ticket="CHG-3192"),
                                       dry_run_output=self.executor.dry_run_output, submit=True)
        channel = CAB_CHANNEL if risk == "critical" else CHANNEL
        await self.card(cr.id, channel=channel)
        return cr

    def find_card(self, change_id: str, channel: str = CHANNEL) -> Message | None:
        for message in self.fake.messages(channel):
            if message.text.startswith(f"{change_id} "):
                return message
        return None

    async def card(self, change_id: str, shows: str = "", channel: str = CHANNEL) -> Message:
        """The card once it exists and shows `shows`."""

        def ready() -> Message | None:
            card = self.find_card(change_id, channel)
            return card if card and shows in blocks_text(card) + card.text else None

        return await self.fake.wait_for(ready)

    async def thread_has(self, card: Message, text: str) -> list[Message]:
        """Replies under the card once one of them contains `text`."""

        def found() -> list[Message]:
            replies = self.fake.thread(card.channel, card.ts)
            return replies if any(text in r.text for r in replies) else []

        return await self.fake.wait_for(found)

    async def ephemeral_for(self, user: str, text: str) -> str:
        """The ephemeral message shown to `user` that contains `text`."""
        return await self.fake.wait_for(
            lambda: next((e for e in self.fake.ephemerals(user) if text in e), ""))

    async def modal_for(self, user: str, shows: str = "",
                        where: Callable[[ViewRecord], bool] = lambda v: True) -> ViewRecord:
        """The newest open modal of `user` that shows `shows`."""

        def found() -> ViewRecord | None:
            for view in reversed(self.fake.open_views(user)):
                if shows in blocks_text(view) and where(view):
                    return view
            return None

        return await self.fake.wait_for(found)

    async def approve(self, user: str, card: Message, comment: str = "") -> str:
        """Press Approve and submit its form; what the form then says (or the refusal shown
        instead of a form)."""
        return await self.review(user, card, ids.APPROVE, ids.APPROVE_VIEW, comment)

    async def withdraw_approval(self, user: str, card: Message, comment: str = "") -> str:
        """Press Withdraw my approval and submit its form; what the form then says."""
        return await self.review(user, card, ids.WITHDRAW_APPROVAL, ids.WITHDRAW_VIEW, comment)

    async def review(self, user: str, card: Message, action_id: str, callback_id: str,
                     comment: str = "") -> str:
        """Press a button that opens a comment form, submit the form, and wait for its outcome
        (the form replaced by the result, or shown again led by its refusal); an ephemeral
        refusal is returned instead."""
        form = await self.driver.open_form(user, card, action_id, callback_id)
        if form is None:
            return self.fake.ephemerals(user)[-1]
        await self.driver.submit(user, form, {ids.COMMENT_BLOCK: text_value(comment)})

        def outcome() -> str:
            shown = blocks_text(form)
            if refused_in(form):
                return shown
            return "" if form.view.get("callback_id") == callback_id or "…" in shown else shown

        return await self.fake.wait_for(outcome)

    async def reaches(self, change_id: str, state: State, within_s: float = 5.0
                      ) -> ChangeRequest:
        """The change once it is in `state`, re-read after every commit: an apply a request
        made due runs from the deadline timers, after that request has answered."""
        committed = asyncio.Event()
        self.engine.on_commit(lambda _changes: committed.set())
        async with asyncio.timeout(within_s):
            while (cr := await self.engine.get(change_id)) is None or cr.state is not state:
                await committed.wait()
                committed.clear()
        return cr

    async def settled(self) -> None:
        """Deliver everything committed so far (the relay also does so on its own), and let
        the card updates waiting for Slack's budget and the App Home tabs being published
        finish."""
        slack = self.runtime.slack
        assert slack is not None
        await slack.relay.drain()
        await slack.cards.settle()
        await slack.services.homes.idle()


def settings_for(fake: FakeSlack, policy: Path, *, socket: bool = False,
                 database_url: str | None = None, channel: str | None = CHANNEL) -> Settings:
    env = {
        "CHANGEGATE_POLICY": str(policy),
        "SLACK_BOT_TOKEN": fake.workspace.bot_token,
        "SLACK_API_URL": fake.api_url,
        "SLACK_TEAM_ID": fake.workspace.team_id,
    }
    if channel is not None:
        env["SLACK_CHANNEL"] = channel
    if socket:
        env["SLACK_APP_TOKEN"] = fake.workspace.app_token
    else:
        env["SLACK_SIGNING_SECRET"] = SECRET
    if database_url is not None:
        env["CHANGEGATE_DATABASE_URL"] = database_url
    return Settings.load(env)


@asynccontextmanager
async def running_bot(tmp_path: Path, *, socket: bool = False, storage: str = "memory",
                      policy: str = POLICY, channel: str | None = CHANNEL, paced: bool = True
                      ) -> AsyncIterator[Harness]:
    """Fake Slack, then the bot (built by the composition root) on its own server at :0;
    `channel` is SLACK_CHANNEL, the cards' channel where a workflow names none; `paced` as
    for bot_on."""
    async with FakeSlack(workspace()) as fake, bot_on(fake, tmp_path, socket=socket,
                                                      memory=storage == "memory",
                                                      policy_text=policy, channel=channel,
                                                      paced=paced) as harness:
        yield harness


@asynccontextmanager
async def bot_on(fake: FakeSlack, tmp_path: Path, *, socket: bool = False, memory: bool = True,
                 database_url: str | None = None, policy_text: str = POLICY,
                 channel: str | None = CHANNEL, pacer: SlackPacer | None = None,
                 paced: bool = True, pacing: PacingClock | None = None
                 ) -> AsyncIterator[Harness]:
    """The bot on its own server at :0, talking to `fake`; over `database_url` (else SQLite in
    `tmp_path`) unless `memory`. Bots on one fake and one database are replicas.

    Paced, the bot keeps Slack's limits as `serve` does (a post a second per channel, every
    method within its tier, cards under limits) and the fake keeps them too, both by one
    PacingClock (`pacing`, else the fake's, else a new one): no wait takes wall time. Unpaced
    (`paced=False`) nothing is paced and the fake's limits are left as they are. A `pacer`
    keeps Slack's limits instead of the one pacing builds (a method held); unpaced, it alone
    does, with no post a second per channel."""
    policy = tmp_path / "changegate.yaml"
    policy.write_text(policy_text, encoding="utf-8")
    clock = TestClock()
    executor = ScriptedExecutor()
    settings = settings_for(fake, policy, socket=socket, database_url=database_url,
                            channel=channel)
    pacing = keeping_limits(fake, pacing) if paced else None
    runtime = await open_runtime(settings, clock=clock, executors=SingleExecutorRegistry(executor),
                                 memory=memory, pacer=pacer,
                                 **(paced_by(pacing) if pacing else {"pacing_s": 0}))
    runner = web.AppRunner(create_app("test-policy", runtime), shutdown_timeout=1.0)
    try:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}"
        await runtime.start()
        async with SlackDriver(fake, f"{url}/slack/events", SECRET, socket=socket) as driver:
            yield Harness(fake, runtime, driver, clock, executor, url, pacing)
    finally:
        await runtime.close()
        await runner.cleanup()
