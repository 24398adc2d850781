"""Several `changegate serve` replicas on one PostgreSQL database and one fake Slack: the harness
of the replica tests (tests/replicas) and of `python -m bench.replicas`.

Each replica is a real process; the fake Slack runs in the calling process. Applies go to a
command executor that appends `start KEY` and `done KEY` to a ledger file, so an apply made twice
would show there.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import Server, clean_env, start
from bot.sandbox.fakeslack import FakeSlack, SlackDriver, Workspace, payloads
from bot.sandbox.fakeslack.state import Message
from bot.slack.rendering import ids
from storage.database import create_database, open_database
from storage.sql.api_reads import SqlApiReads
from storage.sql.engines import Database
from storage.sql.tokens import SqlTokens
from workflow.model import ChangeRequest

CHANNEL = "C0CHANGES"
SECRET = "replica-signing-secret-0123456789"
REQUESTERS = ("UREQ1", "UREQ2", "UREQ3")
REVIEWERS = tuple(f"UREV{n}" for n in range(1, 9))
SCOPES = ("read", "submit", "review", "apply")
SERVE = ("-m", "bot.cli", "serve")

# Dry-run: print. Apply: note `start KEY`, wait for the file `go` when told to (at most two
# minutes), note `done KEY`. Each note is one appended line, flushed to disk.
LEDGER_PROGRAM = """
import json, os, pathlib, sys, time
ledger, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
request = json.load(sys.stdin)
if request["mode"] == "dry_run":
    print("+ planned for", request["change"])
    sys.exit(0)
key = request["idempotency_key"]
def note(word):
    with ledger.open("a") as out:
        out.write(word + " " + key + "\\n")
        out.flush()
        os.fsync(out.fileno())
note("start")
if mode == "wait":
    go = ledger.with_name("go")
    for _ in range(12000):
        if go.exists():
            break
        time.sleep(0.01)
note("done")
print("applied", request["change"])
"""


EXECUTED_FAMILIES = ("bgp", "slow")  # bound to an executor below: it produces their dry-runs


def cluster_policy(directory: Path, *, approvals: int = 2, timeout: str = "8s") -> str:
    """Deadline changes expire after `timeout`; medium risk applies by itself once approved;
    the rest wait for an apply. Family `slow` applies only once the file `go` exists."""
    script = directory / "ledger_program.py"
    script.write_text(LEDGER_PROGRAM, encoding="utf-8")
    ledger = directory / "ledger"

    def argv(mode: str) -> str:
        return json.dumps([sys.executable, str(script), str(ledger), mode])

    stage = f"[{{require: [{{group: reviewers, count: {approvals}}}]}}]"
    return f"""
defaults: {{dry_run_ttl: 1h, approval_timeout: 72h, reminder_after: off}}
groups:
  reviewers: {{members: [{", ".join(REVIEWERS)}]}}
executors:
  ledger: {{kind: command, argv: {argv("ok")}, timeout: 2m}}
  slow: {{kind: command, argv: {argv("wait")}, timeout: 5m}}
families:
  bgp: {{executor: ledger}}
  slow: {{executor: slow}}
workflows:
  - {{name: deadline, priority: 10, match: {{family: deadline}}, approval_timeout: {timeout},
     stages: {stage}}}
  - {{name: auto, priority: 20, match: {{risk: medium}}, apply: auto, stages: {stage}}}
  - {{name: manual, priority: 30, stages: {stage}}}
"""


def ledger_lines(directory: Path) -> list[tuple[str, str]]:
    """(word, key) for every line the executor program wrote."""
    ledger = directory / "ledger"
    if not ledger.exists():
        return []
    return [(w, k) for w, _, k in (line.partition(" ") for line in ledger.read_text().splitlines())]


def workspace(extra_users: Sequence[str] = ()) -> Workspace:
    w = Workspace()
    w.add_channel(CHANNEL)
    for user in (*REQUESTERS, *REVIEWERS, *extra_users):
        w.add_user(user)
    return w


@dataclass
class Cluster:
    """The replicas (None once killed), the fake Slack, a token per person, the database."""

    directory: Path
    url: str
    db: Database
    fake: FakeSlack
    session: aiohttp.ClientSession
    replicas: list[Server | None] = field(default_factory=list)
    drivers: list[SlackDriver] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def alive(self) -> list[int]:
        return [i for i, server in enumerate(self.replicas) if server is not None]

    def server(self, replica: int) -> Server:
        server = self.replicas[replica]
        assert server is not None, f"replica {replica} was killed"
        return server

    async def api(self, replica: int, method: str, path: str, user: str,
                  body: Any = None) -> tuple[int, Any]:
        """One REST call to a replica as `user`; (status, parsed JSON body)."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        async with self.session.request(method, f"{self.server(replica).url}/api/v1{path}",
                                        json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    async def propose(self, replica: int, requester: str, *, risk: str = "medium",
                      family: str = "bgp", title: str = "change") -> str:
        """A change, dry-run by its executor and submitted through a replica's API; its id.
        (The policy takes an executor-bound family's dry-run from the executor only.)"""
        body = {"title": title, "family": family, "action": "update", "target": "edge-1",
                "risk": risk, "payload": f"set {title}"}
        status, answer = await self.api(replica, "POST", "/changes", requester, body)
        assert status == 201, answer
        change_id = str(answer["id"])
        dry_run = None if family in EXECUTED_FAMILIES else {"output": "+ planned"}
        for step, step_body in (("dry-run", dry_run), ("submit", None)):
            status, answer = await self.api(replica, "POST", f"/changes/{change_id}/{step}",
                                            requester, step_body)
            assert status == 200, answer
        return change_id

    def card(self, change_id: str) -> Message | None:
        """The change's card in the channel."""
        found = [m for m in self.fake.messages(CHANNEL) if m.text.startswith(f"{change_id} ")]
        return found[0] if found else None

    def cards_of(self, change_id: str, channel: str) -> list[Message]:
        """Every top-level card of the change in a channel (a user id reads their DM)."""
        return [m for m in self.fake.messages(channel) if m.text.startswith(f"{change_id} ")]

    async def click(self, replica: int, user: str, change_id: str, action_id: str) -> int:
        """Press a button on the change's channel card, the request going to `replica`."""
        card = self.card(change_id)
        assert card is not None, f"no card for {change_id}"
        return (await self.drivers[replica].click(user, card, action_id)).status

    async def approve(self, replica: int, user: str, change_id: str) -> int:
        """Press Approve on the change's channel card and submit the form it opens, both going
        to `replica`; 200 when the person is refused at once instead (as the click was)."""
        card = self.card(change_id)
        assert card is not None, f"no card for {change_id}"
        driver = self.drivers[replica]
        form = await driver.open_form(user, card, ids.APPROVE, ids.APPROVE_VIEW)
        if form is None:
            return 200
        return (await driver.submit(user, form, {ids.COMMENT_BLOCK: payloads.text_value("")})
                ).status

    async def change(self, change_id: str) -> ChangeRequest:
        found = await SqlApiReads(self.db).get(change_id)
        assert found is not None
        return found

    async def kill(self, replica: int) -> None:
        """SIGKILL: whatever the replica held (timers, leases) is left behind."""
        await self.server(replica).kill()
        self.replicas[replica] = None


async def issue_tokens(db: Database, people: Sequence[str]) -> dict[str, str]:
    tokens = SqlTokens(db)
    return {p: (await tokens.create(p.lower(), p, SCOPES, datetime.now(UTC))).bearer
            for p in people}


@asynccontextmanager
async def running_cluster(directory: Path, url: str, *, replicas: int = 3, lease_s: float = 4.0,
                          policy: str | None = None, fake: FakeSlack | None = None,
                          channel: str = CHANNEL, command: Sequence[str] = SERVE,
                          extra_env: dict[str, str] | None = None) -> AsyncIterator[Cluster]:
    """Migrate the database, issue tokens, start the fake Slack and `replicas` processes of
    `command` (`changegate serve` by default)."""
    policy_path = directory / "changegate.yaml"
    policy_path.write_text(policy or cluster_policy(directory), encoding="utf-8")
    await create_database(url)
    async with AsyncExitStack() as stack:
        db = await open_database(url, migrate=False)
        stack.push_async_callback(db.dispose)
        slack = fake or FakeSlack(workspace())
        await slack.start()
        stack.push_async_callback(slack.close)
        session = await stack.enter_async_context(aiohttp.ClientSession())
        cluster = Cluster(directory, url, db, slack, session)
        cluster.tokens = await issue_tokens(db, (*REQUESTERS, *REVIEWERS))
        env = clean_env(
            CHANGEGATE_POLICY=str(policy_path), CHANGEGATE_DATABASE_URL=url,
            CHANGEGATE_PORT="0", CHANGEGATE_LEASE_SECONDS=str(lease_s),
            SLACK_BOT_TOKEN=slack.workspace.bot_token, SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url, SLACK_CHANNEL=channel,
            SLACK_TEAM_ID=slack.workspace.team_id, **(extra_env or {}))
        stack.push_async_callback(_stop_all, cluster)
        started = await asyncio.gather(*(start(command, env, directory / f"replica{i}.log")
                                          for i in range(replicas)), return_exceptions=True)
        cluster.replicas = [s for s in started if isinstance(s, Server)]
        failed = [s for s in started if not isinstance(s, Server)]
        if failed:
            raise failed[0]
        servers = cluster.replicas
        for server in servers:
            driver = SlackDriver(slack, f"{server.url}/slack/events", SECRET)
            cluster.drivers.append(await stack.enter_async_context(driver))
        yield cluster


async def _stop_all(cluster: Cluster) -> None:
    await asyncio.gather(*(s.stop() for s in cluster.replicas if s is not None))
