"""The API on a real aiohttp server (ephemeral port) over memory, SQLite or PostgreSQL.

Every answer a test receives is checked against the served OpenAPI document.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.api import ApiDependencies, create_api, mount_api
from bot.api.metrics import Metrics
from bot.api.wiring import waking
from bot.policy_reload import PolicyHolder
from storage.memory.api_reads import MemoryApiReads
from storage.memory.store import MemoryStore, MemoryUnitOfWorkFactory
from storage.memory.tokens import MemoryTokens
from storage.reads import ChangeFilter
from storage.sql.api_reads import SqlApiReads
from storage.sql.engines import Database
from storage.sql.tokens import SqlTokens
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.api.conformance import Conformance
from tests.support.clock import TestClock
from tests.support.databases import fresh_database
from tests.support.executor import ScriptedExecutor, SingleExecutorRegistry
from workflow.directory import PolicyDirectory
from workflow.engine import Engine
from workflow.policy import Policy, load_policy, parse_policy
from workflow.ports import Clock, Directory
from workflow.seen import Seen

REQ, N1, N2, N3, C1, E1, X, CON = "UREQ", "UN1", "UN2", "UN3", "UC1", "UE1", "UX1", "UCON"
PEOPLE = (REQ, N1, N2, N3, C1, E1, X, CON)
WORKING_SCOPES = ("read", "submit", "review", "apply")
POLICY = f"""
defaults: {{dry_run_ttl: 30m, approval_timeout: 72h, reminder_after: 4h}}
groups:
  network-engineers: {{members: [{E1}, {N1}]}}
  senior-network-engineers: {{members: [{N1}, {N2}, {N3}, {REQ}]}}
  change-advisory-board: {{members: [{C1}]}}
  contractors: {{members: [{CON}]}}
submit_rules:
  - {{groups: [contractors], family: core-router, actions: [reload], policy: deny}}
workflows:
  - name: critical
    priority: 10
    match: {{risk: critical}}
    stages:
      - {{name: Senior review, require: [{{group: senior-network-engineers, count: 2}}]}}
      - {{name: Change Advisory Board, require: [{{group: change-advisory-board, count: 1}}]}}
  - {{name: high, priority: 20, match: {{risk: high}},
     stages: [{{name: Senior review, require: [{{group: senior-network-engineers, count: 2}}]}}]}}
  - {{name: medium, priority: 30, match: {{risk: medium}},
     stages: [{{require: [{{group: network-engineers, count: 1}}]}}]}}
  - {{name: low, priority: 40, match: {{risk: low, family: [bgp, dns.zone]}}, stages: []}}
"""
OUTPUT = "+ neighbor 192.0.2.1 remote-as 65001"


def change_body(risk: str = "high", **fields: Any) -> dict[str, Any]:
    """A valid create body; `fields` override or add members."""
    return {"title": "Add BGP session to AS65001", "family": "bgp", "action": "add",
            "target": "edge-1", "risk": risk, "payload": "neighbor 192.0.2.1 remote-as 65001",
            "rollback_plan": "no neighbor 192.0.2.1", "ticket": "CHG-3192", **fields}


@dataclass
class Answer:
    """One HTTP answer, already checked against the document."""

    status: int
    body: Any
    headers: Mapping[str, str]
    media: str

    @property
    def reason(self) -> str | None:
        return self.body.get("reason") if isinstance(self.body, dict) else None


@dataclass
class ApiWorld:
    """A running API, a token per person, and handles on what it runs over."""

    kind: str
    client: TestClient[web.Request, web.Application]
    deps: ApiDependencies
    clock: TestClock
    executor: ScriptedExecutor | None
    conformance: Conformance
    tokens: dict[str, str] = field(default_factory=dict)
    db: Database | None = None

    @property
    def engine(self) -> Engine:
        return self.deps.engine

    async def token(self, user: str, scopes: tuple[str, ...] = WORKING_SCOPES,
                    name: str | None = None) -> str:
        """A new bearer value for `user`."""
        issued = await self.deps.tokens.create(name or f"{user.lower()}-{len(self.tokens)}",
                                               user, scopes, self.clock.now())
        return issued.bearer

    async def call(self, method: str, path: str, user: str | None = None, *,
                   body: Any = None, raw: bytes | None = None, token: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Answer:
        """Send as `user` (their default token) or with an explicit token; check the answer."""
        sent = dict(headers or {})
        bearer = token or (self.tokens[user] if user else None)
        if bearer is not None:
            sent.setdefault("Authorization", f"Bearer {bearer}")
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        payload = io.BytesIO(data) if data is not None else None
        async with self.client.request(method, url, data=payload, headers=sent) as response:
            text = await response.text()
            media = response.content_type
            parsed: Any = json.loads(text) if media.endswith("json") else text
            self.conformance.check(method, response.url.path, response.status, media, parsed)
            return Answer(response.status, parsed, response.headers, media)

    async def bound(self, change_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A review body bound to what the change shows now, as a client that has just read it
        sends it (a test of the binding itself names its own revision and digest)."""
        cr = await self.deps.engine.get(change_id)
        seen = Seen.of(cr) if cr is not None else Seen(1, None)
        return {"revision": seen.revision, "digest": seen.wire_digest, **body}

    async def change_count(self) -> int:
        page = await self.deps.reads.changes(ChangeFilter(), None, 100_000)
        return len(page.changes)

    async def audit_count(self) -> int:
        return len(await self.deps.reads.audit(limit=None))

    async def propose(self, user: str = REQ, **fields: Any) -> dict[str, Any]:
        """A change created through the API, with its dry-run, submitted."""
        body = change_body(**{"dry_run": {"output": OUTPUT}, "submit": True, **fields})
        answer = await self.call("POST", "/changes", user, body=body)
        assert answer.status == 201, answer.body
        return dict(answer.body)


def sql_dependencies(db: Database, engine: Engine, directory: Directory, clock: Clock,
                     metrics: Metrics | None = None) -> ApiDependencies:
    """The API's reads and tokens on the database the engine writes to."""
    return waking(ApiDependencies(engine, SqlApiReads(db), SqlTokens(db), directory, clock,
                                  metrics or Metrics()))


def memory_dependencies(store: MemoryStore, engine: Engine, directory: Directory,
                        clock: Clock) -> ApiDependencies:
    """The API's reads over the in-memory store, with tokens in memory too."""
    return waking(ApiDependencies(engine, MemoryApiReads(store), MemoryTokens(), directory,
                                  clock, Metrics()))


def engine_over(uow: Any, clock: TestClock, policy: Policy | PolicyHolder,
                executor: ScriptedExecutor | None) -> tuple[Engine, PolicyDirectory]:
    current: Callable[[], Policy] = (policy if isinstance(policy, PolicyHolder)
                                     else lambda: policy)
    directory = PolicyDirectory(current)
    return Engine(uow, clock, current, directory, SingleExecutorRegistry(executor)), directory


@asynccontextmanager
async def running_api(kind: str, directory: Path, *, executor: ScriptedExecutor | None = None,
                      policy_text: str = POLICY) -> AsyncIterator[ApiWorld]:
    """The API over a fresh backend of `kind`, mounted at /api/v1, with a token per person;
    the policy is a file in `directory` that POST /admin/reload-policy reads again."""
    holder = policy_file(directory, policy_text)
    if kind != "memory":
        async with fresh_database(kind, directory) as db, api_over(
                kind, db, executor=executor, holder=holder) as world:
            yield world
        return
    clock = TestClock()
    factory = MemoryUnitOfWorkFactory()
    engine, people = engine_over(factory, clock, holder, executor)
    deps = memory_dependencies(factory.store, engine, people, clock)
    deps.policy = holder
    async with _serve(kind, deps, clock, executor, None) as world:
        yield world


def policy_file(directory: Path, text: str) -> PolicyHolder:
    """`text` written to api-test.yaml in `directory`, held as a running process holds it."""
    path = directory / "api-test.yaml"
    path.write_text(text, encoding="utf-8")
    return PolicyHolder(path, load_policy(path))


@asynccontextmanager
async def api_over(kind: str, db: Database, *, executor: ScriptedExecutor | None = None,
                   policy_text: str = POLICY, tokens: dict[str, str] | None = None,
                   holder: PolicyHolder | None = None) -> AsyncIterator[ApiWorld]:
    """The API of one replica over an existing database; `tokens` are another replica's, for
    the same people, else each person gets one; `holder` is its reloadable policy file."""
    clock = TestClock()
    policy = holder or parse_policy(policy_text, "api-test.yaml")
    engine, people = engine_over(SqlUnitOfWorkFactory(db), clock, policy, executor)
    deps = sql_dependencies(db, engine, people, clock)
    deps.policy = holder
    async with _serve(kind, deps, clock, executor, db, tokens) as world:
        yield world


@asynccontextmanager
async def _serve(kind: str, deps: ApiDependencies, clock: TestClock,
                 executor: ScriptedExecutor | None, db: Database | None,
                 tokens: dict[str, str] | None = None) -> AsyncIterator[ApiWorld]:
    app = web.Application()
    mount_api(app, create_api(deps))
    async with TestClient(TestServer(app)) as client:
        async with client.get("/api/v1/openapi.json") as served:
            document = await served.json()
        world = ApiWorld(kind, client, deps, clock, executor, Conformance(document), db=db)
        for person in PEOPLE:
            world.tokens[person] = (tokens or {}).get(person) or await world.token(person)
        yield world
