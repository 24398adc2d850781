"""Scale: 100,000 stored changes in mixed states plus 5,000 in review. Times App Home for an
approver with 200 changes waiting for them, GET /api/v1/changes?awaiting=me, start-up with
10,000 armed deadlines and the bot's resident memory; then 10,000 deadlines due at one moment.

Run from the repository root:
    python -m bench.scale [--changes 100000 --pending 5000 --awaiting 200 --deadlines 10000]
    python -m bench.scale --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
Not a test: it prints numbers and pass/fail against the targets (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bench import dataset
from bench.databases import bench_database
from bench.processes import Server, clean_env, start
from bench.report import Verdicts, finish, machine, percentile, run_bench
from bench.slackrec import RecordingSlack
from bot.clock import SystemClock
from bot.sandbox.fakeslack import Workspace
from bot.slack.outbound.homepub import HomePublisher
from storage.database import open_database
from storage.sql.card_store import SqlCardStore
from storage.sql.cards import SqlCards
from storage.sql.change_queries import SqlChangeQueries
from storage.sql.engines import Database
from storage.sql.queries import Queries
from storage.sql.schema import audit_events, change_requests
from storage.sql.tokens import SqlTokens
from workflow.directory import PolicyDirectory
from workflow.policy import parse_policy

SECRET = "scale-signing-secret-0123456789abc"
RUNS = 50


class Publishing:
    """Stands for Slack's views.publish: keeps the size of the last view."""

    blocks = 0

    async def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        self.blocks = len(view["blocks"])


async def time_home(db: Database) -> tuple[list[float], int]:
    """Build and publish the approver's App Home RUNS times (after one warm-up)."""
    policy = parse_policy(dataset.policy_text(), "changegate.yaml")
    client = Publishing()
    homes = HomePublisher(client, SqlChangeQueries(Queries(db)),  # type: ignore[arg-type]
                          PolicyDirectory(lambda: policy), SqlCardStore(SqlCards(db),
                                                                        SystemClock()))
    await homes.publish(dataset.APPROVER)
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await homes.publish(dataset.APPROVER)
        samples.append(time.perf_counter() - started)
    waiting = await homes.lists(dataset.APPROVER, {"awaiting": 0, "mine": 0, "decided": 0})
    return samples, waiting["awaiting"].total


async def time_api(url: str, bearer: str, runs: int = 4 * RUNS) -> tuple[list[float], int]:
    """GET /api/v1/changes?awaiting=me over HTTP, one after another."""
    samples = []
    listed = 0
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {bearer}"}) as session:
        for n in range(runs + 5):
            started = time.perf_counter()
            async with session.get(f"{url}/api/v1/changes?awaiting=me") as response:
                body = await response.json()
                assert response.status == 200, body
            if n >= 5:
                samples.append(time.perf_counter() - started)
            listed = len(body["changes"])
    return samples, listed


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def start_bot(directory: Path, env: dict[str, str], name: str) -> tuple[Server, float]:
    """Start the bot; seconds from spawning it until it printed that it listens (its timers
    are armed before that line)."""
    started = time.perf_counter()
    server = await start(["-m", "bench.serve"], env, directory / f"{name}.log", within_s=300)
    return server, time.perf_counter() - started


async def expired_count(db: Database, first: int, last: int) -> int:
    async with db.reader.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(change_requests).where(
            change_requests.c.number.between(first, last),
            change_requests.c.state == "expired")) or 0)


async def doubled_expiries(db: Database) -> tuple[int, int]:
    """(changes expired more than once, expired events in all)."""
    async with db.reader.connect() as conn:
        per_change = (select(audit_events.c.change_id, func.count().label("n"))
                      .where(audit_events.c.kind == "expired")
                      .group_by(audit_events.c.change_id).subquery())
        twice = await conn.scalar(select(func.count()).select_from(per_change)
                                  .where(per_change.c.n > 1))
        total = await conn.scalar(select(func.sum(per_change.c.n)))
    return int(twice or 0), int(total or 0)


async def run(args: argparse.Namespace, directory: Path, url: str) -> Verdicts:
    policy_path = directory / "changegate.yaml"
    policy_path.write_text(dataset.policy_text(), encoding="utf-8")
    db = await open_database(url)
    slack = RecordingSlack(Workspace())
    await slack.start()
    verdicts = Verdicts()
    bot: Server | None = None
    try:
        maker = dataset.Maker(datetime.now(UTC))
        started = time.perf_counter()
        scheduled = args.deadlines - args.pending
        stored = await dataset.write(db, maker, dataset.base_changes(
            maker, args.changes - scheduled, scheduled, args.pending, args.awaiting))
        await dataset.analyse(db)
        print(f"loaded {stored} changes ({args.pending} in review, {scheduled} scheduled) in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        bearer = (await SqlTokens(db).create("scale", dataset.APPROVER, ["read"],
                                             datetime.now(UTC))).bearer

        home, waiting = await time_home(db)
        print(f"App Home of {dataset.APPROVER} ({waiting} awaiting): p50 "
              f"{percentile(home, 50) * 1000:.1f} ms, p99 {percentile(home, 99) * 1000:.1f} ms")
        verdicts.check(f"App Home, {waiting} awaiting, p99", f"{percentile(home, 99) * 1e3:.0f} ms",
                       "< 200 ms", percentile(home, 99) < 0.2 and waiting == args.awaiting)

        env = clean_env(CHANGEGATE_POLICY=str(policy_path), CHANGEGATE_DATABASE_URL=url,
                        CHANGEGATE_PORT="0", SLACK_BOT_TOKEN=slack.workspace.bot_token,
                        SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url,
                        SLACK_CHANNEL="C0SCALE", SLACK_TEAM_ID=slack.workspace.team_id)
        bot, ready_s = await start_bot(directory, env, "bot")
        print(f"start-up with {args.deadlines} armed deadlines: {ready_s:.2f} s", flush=True)
        verdicts.check(f"start-up, {args.deadlines} deadlines", f"{ready_s:.2f} s", "< 5 s",
                       ready_s < 5)
        api, listed = await time_api(bot.url, bearer)
        print(f"GET /api/v1/changes?awaiting=me ({listed} listed): p50 "
              f"{percentile(api, 50) * 1000:.1f} ms, p99 {percentile(api, 99) * 1000:.1f} ms")
        verdicts.check("awaiting=me p99", f"{percentile(api, 99) * 1000:.1f} ms", "< 50 ms",
                       percentile(api, 99) < 0.05 and listed > 0)
        rss = resident_mb(bot.pid)
        await bot.stop()
        bot = None

        due_at = datetime.now(UTC) + timedelta(seconds=args.lead)
        first = maker.number + 1
        await dataset.write(db, maker, dataset.expiring(maker, args.deadlines, due_at))
        await dataset.analyse(db)
        last = maker.number
        bot, ready_s = await start_bot(directory, env, "bot2")
        rss = max(rss, resident_mb(bot.pid))
        print(f"restarted with {2 * args.deadlines} armed deadlines in {ready_s:.2f} s; "
              f"{args.deadlines} fall due at {due_at:%H:%M:%S}", flush=True)
        wait = (due_at - datetime.now(UTC)).total_seconds()
        if wait < 0:
            print(f"warning: the bot took longer than --lead {args.lead} s to start")
        await asyncio.sleep(max(0.0, wait))
        done_s = float("inf")
        while (datetime.now(UTC) - due_at).total_seconds() < args.give_up:
            rss = max(rss, resident_mb(bot.pid))
            if await expired_count(db, first, last) == args.deadlines:
                done_s = (datetime.now(UTC) - due_at).total_seconds()
                break
            await asyncio.sleep(0.25)
        twice, events = await doubled_expiries(db)
        print(f"{args.deadlines} deadlines due at once: all handled in {done_s:.1f} s; "
              f"{events} expired events, {twice} changes expired more than once")
        print(f"resident memory of the bot: up to {rss:.0f} MB")
        verdicts.check(f"{args.deadlines} due at once", f"{done_s:.1f} s", "< 60 s",
                       done_s < 60)
        verdicts.check("deadlines handled twice", f"{twice}", "0",
                       twice == 0 and events == args.deadlines)
        verdicts.check("resident memory", f"{rss:.0f} MB", "< 250 MB", rss < 250)
    finally:
        if bot is not None:
            await bot.stop()
        await slack.close()
        await db.dispose()
    return verdicts


async def main(args: argparse.Namespace) -> int:
    print(f"scale: {args.changes} changes + {args.pending} in review on {machine()}")
    directory = Path(tempfile.mkdtemp(prefix="cg-scale-"))
    async with bench_database(directory, args.postgres, "cg_scale") as url:
        verdicts = await run(args, directory, url)
    print()
    return finish(verdicts, directory)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=5_000)
    parser.add_argument("--awaiting", type=int, default=200,
                        help="of the pending changes, how many wait for the measured approver")
    parser.add_argument("--deadlines", type=int, default=10_000)
    parser.add_argument("--lead", type=float, default=20.0,
                        help="seconds from loading the expiring changes to their deadline")
    parser.add_argument("--give-up", type=float, default=300.0)
    parser.add_argument("--postgres", metavar="URL",
                        help="run on a fresh database created on this PostgreSQL server")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_bench(main, parse())
