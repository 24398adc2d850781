"""The one composition root: storage, policy, directory, engine and the Slack app, from Settings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.api.app import create_api, create_probe_api
from bot.api.context import ApiDependencies
from bot.api.metrics import Metrics
from bot.api.wiring import waking
from bot.clock import SystemClock
from bot.executors.registry import PolicyExecutorRegistry
from bot.kept_apart import report_kept_apart
from bot.outbox.relay import IDLE, Relay
from bot.outbox.relay_task import RelayTask
from bot.outbox.subscriptions import TOPIC as SUBSCRIPTION_TOPIC
from bot.outbox.subscriptions import SubscriptionDelivery
from bot.policy_reload import PolicyHolder
from bot.serve_mode import missing_slack_setting
from bot.settings import SLACK_API, Role, Settings
from bot.slack.app import build_app
from bot.slack.inbound.http import EVENTS_PATH, events_handler
from bot.slack.outbound.card_sync import CardSync
from bot.slack.outbound.delivery import TOPIC, SlackDelivery
from bot.slack.outbound.homepub import HomePublisher
from bot.slack.outbound.membership import UsergroupMembership
from bot.slack.outbound.paced_client import PacedWebClient
from bot.slack.outbound.pacing import (
    DEFAULT_INTERVAL_S,
    ChannelPacer,
    SlackPacer,
    Sleep,
    method_budget,
)
from bot.slack.outbound.people import People
from bot.slack.sealing import MetadataSeal, metadata_key
from bot.slack.services import BotIdentity, SlackServices
from bot.timers import DeadlineTimers
from storage.database import DatabaseError, open_database
from storage.memory.api_reads import MemoryApiReads
from storage.memory.cards import MemoryCardStore
from storage.memory.change_queries import MemoryChangeQueries
from storage.memory.dm_digests import MemoryDmDigests
from storage.memory.interactions import MemoryInteractions
from storage.memory.store import MemoryOutboxQueue, MemoryQueries, MemoryUnitOfWorkFactory
from storage.memory.tokens import MemoryTokens
from storage.ports.api_reads import ApiReads
from storage.ports.cards import CardStore
from storage.ports.change_queries import ChangeQueries
from storage.ports.deadlines import DeadlineSource
from storage.ports.dm_digests import DmDigests
from storage.ports.interactions import SeenInteractions
from storage.ports.outbox import OutboxQueue
from storage.ports.tokens import TokenStore
from storage.sql.api_reads import SqlApiReads
from storage.sql.card_store import SqlCardStore
from storage.sql.cards import SqlCards
from storage.sql.change_queries import SqlChangeQueries
from storage.sql.dm_digests import SqlDmDigests
from storage.sql.interactions import SqlInteractions
from storage.sql.outbox import SqlOutboxQueue
from storage.sql.queries import Queries
from storage.sql.tokens import SqlTokens
from storage.sql.uow import SqlUnitOfWorkFactory
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.policy import Policy, PolicyError, load_policy
from workflow.policy_subscriptions import secret_problems
from workflow.ports import Clock, Directory, ExecutorRegistry, UnitOfWorkFactory

RATE_LIMIT_RETRIES = 3
IDLE_S = IDLE.total_seconds()
# A relay process hears of no commit (the web process makes them all): it looks this often.
RELAY_ROLE_IDLE_S = 0.1
HOME_STOP_WAIT_S = 5.0  # finishing the App Home tabs in flight when the bot stops


class StartupError(Exception):
    """The process cannot start as configured; the message says what to fix."""


async def _nothing() -> None:
    return None


@dataclass
class Storage:
    """The engine's unit of work, what the Slack side and the API read, the outbox queue the relay
    claims committed messages from, which Slack interactions were acted on already, API tokens,
    and how to close it all: one bundle, so no caller asks which kind of storage it got."""

    uow: UnitOfWorkFactory
    queries: ChangeQueries
    cards: CardStore
    outbox: OutboxQueue
    deadlines: DeadlineSource
    interactions: SeenInteractions
    api_reads: ApiReads
    tokens: TokenStore
    close: Callable[[], Awaitable[None]] = _nothing
    dm_digests: DmDigests = field(default_factory=MemoryDmDigests)  # approvers' DM digests


def memory_storage() -> Storage:
    """Everything in this process: for tests and trying the bot out; lost on exit."""
    factory = MemoryUnitOfWorkFactory()
    uow: UnitOfWorkFactory = factory
    return Storage(uow, MemoryChangeQueries(factory.store), MemoryCardStore(),
                   MemoryOutboxQueue(factory.store),
                   MemoryQueries(factory.store), MemoryInteractions(factory.store.receipts),
                   MemoryApiReads(factory.store), MemoryTokens())


async def sql_storage(settings: Settings) -> Storage:
    """The database named by CHANGEGATE_DATABASE_URL, migrated; delivered by the durable relay.

    Card references are stored too, so every copy is updated in place across restarts.
    """
    try:
        db = await open_database(settings.database_url)
    except DatabaseError as exc:
        raise StartupError(str(exc)) from None
    uow: UnitOfWorkFactory = SqlUnitOfWorkFactory(db)
    queries = Queries(db)
    cards = SqlCardStore(SqlCards(db), SystemClock())
    return Storage(uow, SqlChangeQueries(queries), cards, SqlOutboxQueue(db), queries,
                   SqlInteractions(db), SqlApiReads(db), SqlTokens(db), db.dispose,
                   dm_digests=SqlDmDigests(db))


async def open_storage(settings: Settings, *, memory: bool = False) -> Storage:
    """The single place that picks the storage: SQL in production, memory when asked."""
    return memory_storage() if memory else await sql_storage(settings)


@dataclass
class SlackRuntime:
    """The Slack side of a running process."""

    services: SlackServices
    identity: BotIdentity
    relay: RelayTask
    session: aiohttp.ClientSession
    cards: CardSync
    http_handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
    socket: AsyncSocketModeHandler | None = None


class Mount(Protocol):
    """More served on the bot's own server, such as the sandbox workspace and its page."""

    def add_routes(self, app: web.Application) -> None: ...

    async def close(self) -> None: ...


@dataclass
class Runtime:
    """Everything the server runs; `start` after the HTTP site is up, `close` on the way out."""

    settings: Settings
    policy: PolicyHolder
    clock: Clock
    storage: Storage
    engine: Engine
    timers: DeadlineTimers
    slack: SlackRuntime | None = None
    mounts: list[Mount] = field(default_factory=list)
    _started: bool = field(default=False, repr=False)

    def add_routes(self, app: web.Application) -> None:
        """Mount POST /slack/events when Slack runs in HTTP mode (not in a relay process), and
        every extra mount."""
        if (self.settings.role.serves_web and self.slack is not None
                and self.slack.http_handler is not None):
            app.router.add_post(EVENTS_PATH, self.slack.http_handler)
        for mount in self.mounts:
            mount.add_routes(app)

    async def kept_apart(self) -> list[str]:
        """After a reload: the in-flight changes that keep a group or executor it removed or
        redefined (logged too)."""
        return await report_kept_apart(self.policy(), self.storage.api_reads)

    async def start(self) -> None:
        """Settle interrupted applies, arm every deadline, start delivering, connect Socket Mode:
        what the settings' role runs. The web part has the timers (they decide, as requests do,
        and settle interrupted applies) and Socket Mode; the relay part delivers to Slack."""
        if self._started:
            return
        self._started = True
        role = self.settings.role
        if role.serves_web:
            await self.timers.start()
        if self.slack is None:
            return
        if role.relays:
            self.slack.relay.start()
        if role.serves_web and self.slack.socket is not None:
            await self.slack.socket.connect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """Stop the timers, disconnect, stop delivering, close sessions and storage."""
        await self.timers.stop()
        for mount in self.mounts:
            await mount.close()
        if self.slack is not None:
            if self.settings.role.serves_web and self.slack.socket is not None:
                await self.slack.socket.close_async()  # type: ignore[no-untyped-call]
            await self.slack.relay.close()
            await self.slack.cards.close()  # before the session and storage it uses
            with contextlib.suppress(TimeoutError):  # a hung views.publish never blocks a stop
                await asyncio.wait_for(self.slack.services.homes.idle(), HOME_STOP_WAIT_S)
            await self.slack.session.close()
        await self.storage.close()


def api_for(runtime: Runtime, metrics: Metrics | None = None) -> web.Application:
    """The API over the runtime's engine and storage, with the directory Slack uses if any.

    Pass the `Metrics` the Slack side counts its Web API errors on (`count_slack_error`) to
    expose them in GET /api/v1/metrics. A relay process (`--role relay`) serves only the
    readiness probe of it.
    """
    directory: Directory = (runtime.slack.services.directory if runtime.slack is not None
                            else PolicyDirectory(runtime.policy))
    storage = runtime.storage
    dependencies = waking(ApiDependencies(runtime.engine, storage.api_reads, storage.tokens,
                                          directory, runtime.clock, metrics or Metrics()))
    dependencies.policy = runtime.policy
    if not runtime.settings.role.serves_web:
        return create_probe_api(dependencies)
    return create_api(dependencies)


def load(settings: Settings) -> PolicyHolder:
    """The policy file as a callable that a reload swaps (bot/policy_reload.py)."""
    try:
        policy = load_policy(settings.policy_path)
    except PolicyError as exc:
        raise StartupError("; ".join(exc.errors)) from None
    return PolicyHolder(settings.policy_path, policy)


async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    executors: ExecutorRegistry | None = None,
    pacing_s: float = DEFAULT_INTERVAL_S,
    memory: bool = False,
    environ: Mapping[str, str] | None = None,
    relay_idle_s: float | None = None,
    mounts: Sequence[Mount] = (),
    pacer: SlackPacer | None = None,
    pacing_clock: Callable[[], float] = time.monotonic,
    pacing_sleep: Sleep = asyncio.sleep,
) -> Runtime:
    """Build the process from settings; with a bot token, Slack too (auth.test checked now).

    `memory` keeps everything in this process instead of the database (tests, demos);
    `environ` is what the policy's executors and event subscriptions (their signing secrets) see
    instead of this process's environment;
    `relay_idle_s` is how often delivery looks for messages no commit here woke it for
    (another replica's; default IDLE_S, a relay process's RELAY_ROLE_IDLE_S); `mounts` are
    served beside it and closed with it (the sandbox);
    `pacer` keeps Slack's limits instead of the one pacing builds (tests: a method held);
    `pacing_clock` and `pacing_sleep` are the seconds pacing counts and waits by (tests: a
    clock that moves on when something sleeps).
    """
    policy = load(settings)
    clock = clock or SystemClock()
    executors = executors or policy_executors(policy, environ)
    storage = await open_storage(settings, memory=memory)
    if not settings.slack_enabled:
        engine = Engine(storage.uow, clock, policy, PolicyDirectory(policy), executors)
        return Runtime(settings, policy, clock, storage, engine,
                       armed_timers(engine, storage, clock), mounts=list(mounts))
    session = aiohttp.ClientSession()
    try:
        if relay_idle_s is None:
            relay_idle_s = RELAY_ROLE_IDLE_S if settings.role is Role.RELAY else IDLE_S
        runtime = await _with_slack(settings, policy, clock, storage, executors, pacing_s,
                                    relay_idle_s, session, pacer, pacing_clock, pacing_sleep,
                                    subscriptions=subscription_delivery(policy, environ))
        runtime.mounts.extend(mounts)
        return runtime
    except BaseException:
        await session.close()
        await storage.close()
        raise


async def _with_slack(settings: Settings, policy: PolicyHolder, clock: Clock,
                      storage: Storage, executors: ExecutorRegistry | None, pacing_s: float,
                      relay_idle_s: float, session: aiohttp.ClientSession,
                      pacer: SlackPacer | None, pacing_clock: Callable[[], float],
                      pacing_sleep: Sleep, *,
                      subscriptions: SubscriptionDelivery | None = None) -> Runtime:
    token = settings.slack_bot_token
    assert token is not None
    problem = missing_slack_setting(settings)
    if problem is not None:
        raise StartupError(problem)
    # Slack's rate limits kept, each replica to its share (off when pacing_s is 0)
    if pacer is None and pacing_s:
        pacer = SlackPacer(pacing_clock, pacing_sleep, replicas=settings.replicas)
    client = web_client(settings, session, token, pacer)
    identity = await identify(client, settings.slack_team_id)
    membership = UsergroupMembership(client)
    directory = PolicyDirectory(policy, membership)
    engine = Engine(storage.uow, clock, policy, directory, executors)
    timers = armed_timers(engine, storage, clock)
    people = People(policy, membership)
    homes = HomePublisher(client, storage.queries, directory, storage.cards, identity.url,
                          method_budget("views.publish", settings.replicas, pacing_clock)
                          if pacer else None, pacing_sleep, clock=clock)
    # the one place the ways to a card are chosen: paced as Slack's limits are kept, or not;
    # a web process answers clicks on their cards and leaves following commits to its relay
    card_sync = (CardSync.paced(client, storage.queries, storage.cards, people, clock, pacer,
                                pacing_sleep, follows=settings.role.relays)
                 if pacer is not None
                 else CardSync.unpaced(client, storage.queries, storage.cards, people, clock))
    delivery = SlackDelivery(client, storage.queries, storage.cards, people, homes, card_sync,
                             default_channel=settings.slack_channel,
                             pacer=ChannelPacer(pacing_s, pacing_clock, pacing_sleep),
                             digests=storage.dm_digests, directory=directory)
    # one relay over either storage's outbox queue; outbox times are wall-clock; the policy's
    # event subscriptions are POSTed by the same relay, retried and dead-lettered alike
    subscriptions = subscriptions or SubscriptionDelivery()
    relay = RelayTask(Relay(storage.outbox, SystemClock(),
                            {SUBSCRIPTION_TOPIC: subscriptions.deliver},
                            batched={TOPIC: delivery.deliver_many},
                            idle=timedelta(seconds=relay_idle_s)))
    engine.on_commit(lambda _changes: relay.kick())  # deliver what was just committed
    engine.on_commit(card_sync.committed)  # every copy of a card follows its change
    # forms are signed with a key every replica derives alike, so each verifies the others'
    seal = MetadataSeal(metadata_key(settings.metadata_key, settings.slack_signing_secret,
                                     settings.slack_app_token))
    services = SlackServices(engine, storage.queries, directory, people, homes, delivery,
                             client, clock, seal, membership)
    app = build_app(services, identity, bot_token=token,
                    signing_secret=settings.slack_signing_secret,
                    client=web_client(settings, session, None), seen=storage.interactions)
    slack = SlackRuntime(services, identity, relay, session, card_sync)
    if settings.slack_signing_secret is not None:
        slack.http_handler = events_handler(app, settings.slack_signing_secret)
    if settings.slack_app_token is not None:
        slack.socket = AsyncSocketModeHandler(app, settings.slack_app_token)
    return Runtime(settings, policy, clock, storage, engine, timers, slack)


def policy_executors(policy: Callable[[], Policy],
                     environ: Mapping[str, str] | None = None) -> ExecutorRegistry:
    """Executors bound in the policy; a webhook whose secret is missing is named at start-up."""
    registry = PolicyExecutorRegistry(policy, environ)
    for problem in registry.problems():
        print(f"changegate: warning: {problem}", file=sys.stderr)
    return registry


def subscription_delivery(policy: Callable[[], Policy],
                          environ: Mapping[str, str] | None = None) -> SubscriptionDelivery:
    """The relay's handler of the policy's event subscriptions, signing with secrets from
    `environ` (default: this process's); a subscription whose secret is unset is named now."""
    environ = environ if environ is not None else os.environ
    for problem in secret_problems(policy().subscriptions, environ):
        print(f"changegate: warning: {problem}", file=sys.stderr)
    return SubscriptionDelivery(environ)


def armed_timers(engine: Engine, storage: Storage, clock: Clock) -> DeadlineTimers:
    """Deadline timers re-armed from every commit of the engine, whatever its entrypoint."""
    timers = DeadlineTimers(engine, storage.deadlines, clock)
    engine.on_commit(timers.committed)
    return timers


def web_client(settings: Settings, session: aiohttp.ClientSession, token: str | None,
               pacer: SlackPacer | None = None) -> AsyncWebClient:
    """A Web API client at SLACK_API_URL that waits out 429s (Retry-After) and retries once on a
    dropped connection; with a pacer, every call keeps to Slack's rate limits and a 429 is sent
    again after its Retry-After until it goes through (bot/slack/outbound/paced_client.py)."""
    base_url = settings.slack_api_url or SLACK_API
    if pacer is not None:
        return PacedWebClient(pacer=pacer, token=token, base_url=base_url, session=session,
                              retry_handlers=[AsyncConnectionErrorRetryHandler()])
    retries: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
    return AsyncWebClient(token=token, base_url=base_url, session=session,
                          retry_handlers=retries)


async def identify(client: AsyncWebClient, team_id: str | None) -> BotIdentity:
    """Ask Slack whose token this is; refuse one of another workspace than SLACK_TEAM_ID."""
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        raise StartupError(f"Slack refused SLACK_BOT_TOKEN: {exc.response.get('error')}") from None
    except aiohttp.ClientError as exc:
        raise StartupError(f"cannot reach Slack at {client.base_url}: {exc}") from None
    identity = BotIdentity(str(answer["team_id"]), str(answer["user_id"]),
                           str(answer.get("bot_id") or ""), str(answer.get("url") or ""))
    if team_id is not None and identity.team_id != team_id:
        raise StartupError(f"SLACK_BOT_TOKEN belongs to workspace {identity.team_id}, "
                           f"but SLACK_TEAM_ID is {team_id}")
    return identity

