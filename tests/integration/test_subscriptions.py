"""The policy's event subscriptions, end to end on SQLite: committed events become signed POSTs
to a real local receiver, each taken once (deduplicated by delivery id) across a relay that
stopped, one that died mid-delivery and a restart on the same database; a receiver that keeps
failing is retried with backoff, then dead-lettered, and `/metrics` and `changegate outbox`
show it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.cli.main import main
from bot.composition import open_runtime
from bot.executors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from bot.outbox.relay import Relay
from bot.outbox.subscriptions import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SUBSCRIPTION_HEADER,
    TOPIC,
    SubscriptionDelivery,
    SubscriptionDeliveryError,
)
from bot.sandbox.fakeslack import FakeSlack
from bot.settings import Settings
from storage.outbox_rules import MAX_ATTEMPTS, backoff
from storage.ports.outbox import Claimed
from storage.sql.audit_trail import AuditTrail
from storage.sql.engines import open_engines
from storage.sql.outbox import SqlOutboxQueue
from storage.sql.outbox_report import outbox_report
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.api.harness import N1, N2, POLICY, REQ, running_api
from tests.slack.harness import POLICY as SLACK_POLICY
from tests.slack.harness import REQUESTER, SECRET, workspace
from tests.support.clock import TestClock
from tests.support.databases import sqlite_database, sqlite_url
from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen, reject_seen
from tests.support.world import World
from workflow.model import Content, Metadata, Risk
from workflow.writer import EVENT_TOPIC

SECRETS = {"ci": "ci-secret", "chat": "chat-secret"}
ENVIRON = {"CI_SECRET": SECRETS["ci"], "CHAT_SECRET": SECRETS["chat"]}
TICKET_LINK = "https://jira.example/browse/CHG-3192"


def subscribed(policy: str, url: str) -> str:
    """`policy` with a ticket link template and two subscriptions POSTing to `url`."""
    return policy + f"""
ticket_url: https://jira.example/browse/{{ticket}}
subscriptions:
  - name: ci
    url: {url}
    events: [approved, rejected, applied]
    secret_env: CI_SECRET
    match: {{risk: [high, critical]}}
  - name: chat
    url: {url}
    events: [applied]
    secret_env: CHAT_SECRET
"""


@dataclass(frozen=True)
class Received:
    delivery_id: str
    subscription: str
    event: str
    body: dict[str, Any]
    signed: bool  # the signature verified with the subscription's secret


@dataclass
class Receiver:
    """A CI job's endpoint: verifies each POST's signature, answers `status`."""

    status: int = 200
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        name = request.headers[SUBSCRIPTION_HEADER]
        signed = verify(SECRETS[name].encode(), request.headers[TIMESTAMP_HEADER], raw,
                        request.headers[SIGNATURE_HEADER], time.time())
        self.received.append(Received(request.headers[DELIVERY_HEADER], name,
                                      request.headers[EVENT_HEADER], json.loads(raw), signed))
        return web.Response(status=self.status)

    def taken(self) -> dict[str, Received]:
        """What a receiver that drops repeated delivery ids keeps."""
        kept: dict[str, Received] = {}
        for got in self.received:
            kept.setdefault(got.delivery_id, got)
        return kept


async def moved(request: web.Request) -> web.Response:
    """A receiver that moved: a redirect is never followed (the signature is for one URL)."""
    raise web.HTTPFound("/hook")


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    """The receiver on a real server, on an ephemeral port of 127.0.0.1; yields its URL."""
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    app.router.add_post("/moved", moved)
    async with TestServer(app) as server:
        yield str(server.make_url("/hook"))


async def no_cards(messages: Sequence[Claimed]) -> None:
    """Slack's part of the outbox, which these tests do not look at."""


async def drain(relay: Relay) -> None:
    while (await relay.run_once()).claimed:
        pass


async def test_signed_events_are_taken_exactly_once_across_a_stop_a_crash_and_a_restart(
        tmp_path: Path) -> None:
    receiver = Receiver()
    async with receiving(receiver) as url, sqlite_database(tmp_path) as db:
        clock = TestClock()
        world = World(uow=SqlUnitOfWorkFactory(db, now=clock.now), clock=clock,
                      policy_text=subscribed(SCENARIO_POLICY, url))
        approved = await world.propose("high")
        for person in ("n1", "n2"):
            await approve_seen(world.engine, approved.id, person)
        rejected = await world.propose("high")
        await reject_seen(world.engine, rejected.id, "n1", "not this week")
        applied = await world.propose("high")
        for person in ("n1", "n2"):
            await approve_seen(world.engine, applied.id, person)
        await world.engine.apply(applied.id, "req")
        await world.propose("low")  # approved at once, but neither subscription wants it
        expected = {("ci", approved.id, "approved"), ("ci", rejected.id, "rejected"),
                    ("ci", applied.id, "approved"), ("ci", applied.id, "applied"),
                    ("chat", applied.id, "applied")}

        # a relay stops after two deliveries: the rest of its round is handed back
        queue = SqlOutboxQueue(db)
        delivery = SubscriptionDelivery(ENVIRON)
        first: list[int] = []

        async def deliver_then_stop(message: Claimed) -> None:
            await delivery.deliver(message)
            first.append(message.id)
            if len(first) == 2:
                stopping.stop()

        stopping = Relay(queue, clock, {TOPIC: deliver_then_stop},
                         batched={EVENT_TOPIC: no_cards}, owner="r1", parallel=1)
        done = await stopping.run_once()
        assert len(first) == 2 and done.released > 0

        # another dies between a POST the receiver took and recording it
        claimed = await queue.claim("r2", 100, timedelta(minutes=1), clock.now())
        crashed = next(m for m in claimed if m.topic == TOPIC)
        await delivery.deliver(crashed)

        # that process is gone; a new one opens the same database once the lease ran out
        await db.dispose()
        db2 = open_engines(sqlite_url(tmp_path))
        try:
            clock.advance(minutes=2)
            restarted = Relay(SqlOutboxQueue(db2), clock,
                              {TOPIC: SubscriptionDelivery(ENVIRON).deliver},
                              batched={EVENT_TOPIC: no_cards}, owner="r3")
            await drain(restarted)
            rows = {row.seq: row.record async for row in AuditTrail(db2).rows()}
            report = await outbox_report(db2)
        finally:
            await db2.dispose()

    assert all(got.signed for got in receiver.received)
    taken = receiver.taken()
    assert {(got.subscription, got.body["change"], got.event)
            for got in taken.values()} == expected
    assert len(taken) == len(expected)  # one delivery id per subscription and event
    assert len(receiver.received) == len(expected) + 1  # the crashed one came twice...
    repeats = [got for got in receiver.received if got.delivery_id == crashed.payload[
        "delivery_id"]]
    assert len(repeats) == 2 and repeats[0].body == repeats[1].body  # ...alike, to be dropped
    for got in taken.values():
        record = rows[got.body["audit_seq"]]  # the event's own row of the audit log
        assert (record["kind"], record["change_id"]) == (got.event, got.body["change"])
        assert got.body["revision"] == record["revision"]
        assert got.body["digest"] == record["digest"] and got.body["digest"]
        assert got.body["summary"]["ticket_url"] == TICKET_LINK
    counts = report.topics[TOPIC]
    assert (counts.pending, counts.delivered, counts.dead) == (0, len(expected), 0)


async def test_a_failing_receiver_is_retried_with_backoff_then_dead_lettered_visibly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    receiver = Receiver(status=503)
    async with receiving(receiver) as url, running_api(
            "sqlite", tmp_path, policy_text=subscribed(POLICY, url)) as api:
        change = await api.propose()
        for person in (N1, N2):
            answer = await api.call("POST", f"/changes/{change['id']}/review", person,
                                    body=await api.bound(change["id"], {"approved": True}))
            assert answer.status == 200
        assert api.db is not None
        clock = TestClock(datetime.now(UTC) + timedelta(seconds=1))  # outbox times: wall clock
        relay = Relay(SqlOutboxQueue(api.db), clock, {TOPIC: SubscriptionDelivery(
            ENVIRON).deliver}, batched={EVENT_TOPIC: no_cards}, owner="r1")
        await relay.run_once()
        for attempt in range(1, MAX_ATTEMPTS):
            assert len(receiver.received) == attempt
            clock.advance(seconds=backoff(attempt).total_seconds() - 1)
            assert (await relay.run_once()).claimed == 0  # not before its backoff
            clock.advance(seconds=1)
            done = await relay.run_once()
            assert done.failed == 1
        assert done.dead == 1 and len(receiver.received) == MAX_ATTEMPTS
        assert len({got.delivery_id for got in receiver.received}) == 1
        clock.advance(days=1)
        assert (await relay.run_once()).claimed == 0  # dead letters are not retried

        metrics = await api.call("GET", "/metrics", REQ)
        values = {(s.name, tuple(sorted(s.labels.items()))): s.value
                  for family in text_string_to_metric_families(metrics.body)
                  for s in family.samples}
        assert values[("changegate_outbox_messages",
                       (("state", "dead"), ("topic", TOPIC)))] == 1
        assert values[("changegate_outbox_messages",
                       (("state", "delivered"), ("topic", TOPIC)))] == 0
        assert values[("changegate_outbox_dead_letters", ())] == 1

    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", sqlite_url(tmp_path))
    assert await asyncio.to_thread(main, ["outbox", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["topics"][TOPIC] == {"pending": 0, "delivered": 0, "dead": 1}
    [dead] = shown["dead_letters"]
    assert dead["subscription"] == "ci" and dead["change_id"] == change["id"]
    assert dead["attempts"] == MAX_ATTEMPTS and "answered HTTP 503" in dead["last_error"]
    assert dead["delivery_id"] == receiver.received[0].delivery_id
    assert await asyncio.to_thread(main, ["outbox"]) == 0
    text = capsys.readouterr().out
    assert f"subscription ci {change['id']}: {MAX_ATTEMPTS} attempts" in text


async def test_the_running_bot_delivers_subscriptions_with_its_slack_relay(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    receiver = Receiver()
    policy = tmp_path / "changegate.yaml"
    async with receiving(receiver) as url, FakeSlack(workspace()) as fake:
        policy.write_text(SLACK_POLICY + f"""
subscriptions:
  - {{name: ci, url: "{url}", events: [approved], secret_env: CI_SECRET}}
  - {{name: chat, url: "{url}", events: [approved], secret_env: CHAT_SECRET}}
""", encoding="utf-8")
        settings = Settings.load({
            "CHANGEGATE_POLICY": str(policy), "SLACK_API_URL": fake.api_url,
            "SLACK_BOT_TOKEN": fake.workspace.bot_token, "SLACK_SIGNING_SECRET": SECRET})
        runtime = await open_runtime(settings, memory=True, environ={"CI_SECRET": "ci-secret"})
        try:
            assert "subscription chat: CHAT_SECRET is not set" in capsys.readouterr().err
            cr = await runtime.engine.propose(
                REQUESTER, Content("bgp", "add", "edge-1", Risk.LOW, "x"), Metadata("t"),
                dry_run_output="+ x", submit=True)
            assert runtime.slack is not None
            await runtime.slack.relay.drain()
        finally:
            await runtime.close()
    [got] = receiver.received  # chat's secret is unset: its event waits to be retried
    assert got.signed and (got.subscription, got.event, got.body["change"]) == (
        "ci", "approved", cr.id)


def message(url: str, secret_env: str = "CI_SECRET") -> Claimed:
    payload: Mapping[str, Any] = {
        "delivery_id": "d1",
        "subscription": {"name": "ci", "url": url, "secret_env": secret_env, "timeout_s": 5},
        "event": {"kind": "approved", "change_id": "CHG-1", "actor": "n1",
                  "at": "2026-11-02T09:00:00+00:00", "revision": 1, "digest": "sha256:ab",
                  "policy_version": "v", "since_proposal_s": 1.0, "data": {}},
        "audit_seq": 7, "change": {"id": "CHG-1"},
    }

    @dataclass(frozen=True)
    class Message:
        id: int = 1
        topic: str = TOPIC
        change_id: str | None = None
        payload: Mapping[str, Any] = field(default_factory=lambda: payload)
        attempts: int = 1

    return Message()


async def test_an_unset_secret_or_a_redirect_is_a_failed_delivery() -> None:
    receiver = Receiver()
    async with receiving(receiver) as url:
        delivery = SubscriptionDelivery({"CI_SECRET": "ci-secret"})
        with pytest.raises(SubscriptionDeliveryError, match="OTHER_SECRET is not set"):
            await delivery.deliver(message(url, "OTHER_SECRET"))
        with pytest.raises(SubscriptionDeliveryError, match="answered HTTP 302"):
            await delivery.deliver(message(url.replace("/hook", "/moved")))
        assert receiver.received == []  # nothing unsigned went out, no redirect was followed
        await delivery.deliver(message(url))
    [got] = receiver.received
    assert got.signed and got.delivery_id == "d1" and got.event == "approved"
    assert got.body["audit_seq"] == 7 and got.body["change"] == "CHG-1"


async def test_the_policy_in_force_at_commit_decides_who_is_told() -> None:
    world = World(policy_text=subscribed(SCENARIO_POLICY, "https://ci.example/hook"))
    cr = await world.propose("high")
    for person in ("n1", "n2"):
        await approve_seen(world.engine, cr.id, person)
    store = world.uow.store  # type: ignore[attr-defined]
    [told] = [m for m in store.outbox if m.topic == TOPIC]
    assert told.change_id is None  # its own lane: a slow receiver never holds up the card
    assert told.payload["subscription"] == {"name": "ci", "url": "https://ci.example/hook",
                                            "secret_env": "CI_SECRET", "timeout_s": 10.0}
    assert told.payload["event"]["kind"] == "approved"
    assert told.payload["audit_seq"] is None  # memory numbers its audit rows only at commit

    world.use_policy(SCENARIO_POLICY)  # a reload drops the subscriptions
    await world.engine.apply(cr.id, "req")
    assert [m for m in store.outbox if m.topic == TOPIC] == [told]
