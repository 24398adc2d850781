"""The click storm's world: a policy where every click counts, seeded changes, and the clicks."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.sandbox.fakeslack import FakeSlack, SlackDriver, Workspace
from bot.sandbox.fakeslack.driver import Reply
from bot.sandbox.fakeslack.payloads import text_value
from bot.sandbox.fakeslack.state import Message, ViewRecord
from bot.slack.inbound.decided import NOT_RECORDED
from bot.slack.rendering import ids
from bot.slack.rendering.modals import Clicked
from bot.slack.sealing import MetadataSeal, metadata_key
from storage.database import open_database
from storage.sql.engines import Database
from storage.sql.schema import audit_events, change_requests, outbox
from storage.sql.uow import SqlUnitOfWorkFactory
from workflow.codec import change_from_dict
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.model import ChangeRequest, Content, Metadata, Risk, State, Verdict
from workflow.policy import Policy, parse_policy

CHANNEL = "C0STORM"
SECRET = "storm-signing-secret-0123456789ab"
REQUESTERS = [f"UR{n:04d}" for n in range(50)]
APPROVERS = [f"UA{n:04d}" for n in range(100)]
IDLE_WAIT_S = 900.0
LIMITED_WAIT_S = 7200.0  # at Slack's limits, 500 cards and their replies take ~20 min to post


def policy_text(votes: int, notify: str | None = None) -> str:
    """One stage that needs `votes` distinct approvers, so every click of the storm counts;
    `notify` as the workflow's (docs/policy.md; unset: both, a DM card for every approver)."""
    members = ", ".join(APPROVERS)
    told = f"\n    notify: {notify}" if notify else ""
    return f"""
defaults: {{dry_run_ttl: 24h, approval_timeout: 72h, reminder_after: off}}
groups:
  approvers: {{members: [{members}]}}
workflows:
  - name: storm
    priority: 10{told}
    stages: [{{name: Review, require: [{{group: approvers, count: {votes}}}]}}]
"""


def add_notify_option(parser: argparse.ArgumentParser) -> None:
    """The storm workflow's `notify`: channel by default, as the benchmarks' tables are measured;
    dm and both add a card copy per approver, each one more card update per change."""
    parser.add_argument("--notify", choices=["channel", "dm", "both"], default="channel",
                        help="the workflow's notify; dm and both add a card copy per approver, "
                             "each one more chat.update per change")


def workspace() -> Workspace:
    w = Workspace()
    w.add_channel(CHANNEL)
    for user in REQUESTERS + APPROVERS:
        w.add_user(user)
    return w


def write_policy(directory: Path, votes: int, notify: str | None = None
                 ) -> tuple[Path, Policy]:
    path = directory / "changegate.yaml"
    path.write_text(policy_text(votes, notify), encoding="utf-8")
    return path, parse_policy(path.read_text(encoding="utf-8"), str(path))


async def seed(url: str, policy: Policy, count: int) -> list[str]:
    """`count` submitted changes with their dry-runs, through the engine, before the bot runs."""
    db = await open_database(url)
    try:
        engine = Engine(SqlUnitOfWorkFactory(db), SystemClock(), lambda: policy,
                        PolicyDirectory(lambda: policy))
        made: list[str] = []
        for n in range(count):
            content = Content("bgp", "update", f"edge-{n}", Risk.MEDIUM, f"neighbor {n}")
            cr = await engine.propose(REQUESTERS[n % len(REQUESTERS)], content,
                                      Metadata(f"Storm change {n}"),
                                      dry_run_output=f"+ neighbor {n}", submit=True)
            made.append(cr.id)
        return made
    finally:
        await db.dispose()


async def until_idle(url: str, within_s: float = IDLE_WAIT_S) -> float:
    """Wait (polling the database) until the outbox has nothing left to deliver."""
    db = await open_database(url, migrate=False)
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < within_s:
            async with db.reader.connect() as conn:
                left = await conn.scalar(select(func.count()).select_from(outbox).where(
                    outbox.c.delivered_at.is_(None), outbox.c.dead_at.is_(None)))
            if not left:
                return time.perf_counter() - start
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the outbox was not drained within {within_s:.0f} s")
    finally:
        await db.dispose()


def cards(fake: FakeSlack) -> dict[str, Message]:
    """The channel card of each change, by change id."""
    found: dict[str, Message] = {}
    for message in fake.state.in_channel(CHANNEL):
        change_id = message.text.split(" ", 1)[0]
        if change_id.startswith("CHG-"):
            found.setdefault(change_id, message)
    return found


@dataclass(frozen=True, slots=True)
class Click:
    index: int
    change_id: str
    user: str


def plan(change_ids: Sequence[str], votes: int, seed_value: int = 7) -> list[Click]:
    """`votes` distinct approvers per change, all clicks shuffled together."""
    rng = random.Random(seed_value)
    pairs = [(cid, user) for cid in change_ids for user in rng.sample(APPROVERS, votes)]
    rng.shuffle(pairs)
    return [Click(i, cid, user) for i, (cid, user) in enumerate(pairs)]


@dataclass
class Sent:
    """What the storm saw for one click: its status, how long its answer took, and whether the
    answer said the decision was recorded (a slow one is answered "Not recorded yet")."""

    status: int
    ack_s: float
    recorded: bool = True


def says_not_recorded(reply: Reply) -> bool:
    """Whether a form's answer says its decision is not recorded yet (a person submits again)."""
    return NOT_RECORDED in json.dumps(reply.json or {})


async def storm(clicks: Sequence[Click], concurrency: int,
                send: Callable[[Click], Awaitable[Sent]]) -> tuple[list[Sent | None], float]:
    """Send every click with `concurrency` in flight; returns the answers and the wall time."""
    results: list[Sent | None] = [None] * len(clicks)
    queue = list(reversed(clicks))

    async def worker() -> None:
        while queue:
            click = queue.pop()
            results[click.index] = await send(click)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results, time.perf_counter() - start


def clicker(driver: SlackDriver, card_of: dict[str, Message],
            before: Callable[[Click, Message], None] | None = None
            ) -> Callable[[Click], Awaitable[Sent]]:
    """Approve the change as the click's user, timing the acknowledgement of the decision: the
    Approve form's submission (its button only opens the form, acknowledged at once)."""

    async def send(click: Click) -> Sent:
        card = card_of[click.change_id]
        if before is not None:
            before(click, card)
        form = approve_form(driver.fake, click.user, card, SECRET)
        start = time.perf_counter()
        reply = await driver.submit(click.user, form, {ids.COMMENT_BLOCK: text_value("")})
        return Sent(reply.status, time.perf_counter() - start, not says_not_recorded(reply))

    return send


def approve_form(fake: FakeSlack, user: str, card: Message, secret: str) -> ViewRecord:
    """The Approve form as the card's button opens it for `user`, bound to the revision and
    dry-run digest the card shows, naming the card and the response_url Slack gave the click on
    its button, its metadata signed as the bot with signing secret `secret` signs it; kept by
    the fake so the bot's views.update lands."""
    approve = next(e for b in card.blocks if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == ids.APPROVE)
    change_id, seen = ids.parse_button_value(approve["value"])
    assert seen is not None, approve["value"]
    clicked = Clicked(card.channel, card.ts, fake.issue_response_url(card.channel, user, card.ts))
    meta = {"change": change_id, "revision": seen.revision, "digest": seen.digest,
            "origin": card.channel, "card": clicked.as_json()}
    view = MetadataSeal(metadata_key(secret)).sealed({
        "type": "modal", "callback_id": ids.APPROVE_VIEW, "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": f"Approve {change_id}"}, "blocks": []})
    view_id = fake.state.next_id("V")
    form = ViewRecord(view_id, user, view, "h0", view_id)
    fake.state.views[view_id] = form
    return form


@dataclass
class Tally:
    """What the database holds after the storm."""

    changes: int
    approved: int
    votes: int
    distinct_votes: int
    response_events: int
    refused_events: int
    last_response_at: datetime | None


async def tally(db: Database, change_ids: Sequence[str]) -> Tally:
    """Count the committed votes and transitions of the storm's changes."""
    async with db.reader.connect() as conn:
        rows = (await conn.execute(select(change_requests.c.data).where(
            change_requests.c.id.in_(list(change_ids))))).scalars().all()
        kinds = dict((await conn.execute(select(audit_events.c.kind, func.count()).group_by(
            audit_events.c.kind))).all())
        last = await conn.scalar(select(func.max(audit_events.c.at)).where(
            audit_events.c.kind == "response"))
    changes: list[ChangeRequest] = [change_from_dict(row) for row in rows]
    live = [(cr.id, r.person) for cr in changes for r in cr.live_responses()
            if r.verdict is Verdict.APPROVE]
    return Tally(len(changes), sum(cr.state is State.APPROVED for cr in changes), len(live),
                 len(set(live)), int(kinds.get("response", 0)), int(kinds.get("refused", 0)),
                 last)
