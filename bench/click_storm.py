"""Click storm: M pending changes, N signed Approve form submissions (each Approve button opens
the form the decision comes from) from distinct approvers, C at a time,
against the real bot (HTTP mode) and the fake Slack; then the same clicks against a minimal
signature-checking, one-transaction-per-click server as a baseline.

Run from the repository root:
    python -m bench.click_storm [--changes 500 --clicks 5000 --concurrency 50]
    python -m bench.click_storm --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    python -m bench.click_storm --role split   # web and relay as two processes, one database
Not a test: it prints numbers and pass/fail against the targets (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import storm
from bench.databases import bench_database
from bench.processes import Server, clean_env, start
from bench.report import Verdicts, finish, machine, percentile, run_bench
from bench.slackrec import RecordingSlack
from bot.sandbox.fakeslack import SlackDriver
from bot.slack.rendering.ids import button_value
from storage.database import open_database
from workflow.seen import Seen

SHOWN_WAIT_S = 600.0
ALL, SPLIT = "all", "split"  # --role: the bot as one process, or as web + relay processes


async def run_bot(args: argparse.Namespace, directory: Path, url: str) -> dict[str, float]:
    votes = args.clicks // args.changes
    policy_path, policy = storm.write_policy(directory, votes, args.notify)
    print(f"seeding {args.changes} pending changes ({votes} approvals each) ...", flush=True)
    change_ids = await storm.seed(url, policy, args.changes)
    fake = RecordingSlack(storm.workspace())
    if args.slack_limits:
        fake.with_limits()
    await fake.start()
    env = clean_env(CHANGEGATE_POLICY=str(policy_path), CHANGEGATE_DATABASE_URL=url,
                    CHANGEGATE_PORT="0", SLACK_BOT_TOKEN=fake.workspace.bot_token,
                    SLACK_SIGNING_SECRET=storm.SECRET, SLACK_API_URL=fake.api_url,
                    SLACK_CHANNEL=storm.CHANNEL, SLACK_TEAM_ID=fake.workspace.team_id,
                    BENCH_PACING_S=str(1.0 if args.slack_limits else args.pacing))
    bot: Server | None = None
    relay: Server | None = None
    try:
        if args.role == SPLIT:  # `serve --role web` and `serve --role relay` on one database
            bot = await start(["-m", "bench.serve"], {**env, "CHANGEGATE_ROLE": "web"},
                              directory / "bot.log")
            relay = await start(["-m", "bench.serve"], {**env, "CHANGEGATE_ROLE": "relay"},
                                directory / "relay.log")
        else:
            bot = await start(["-m", "bench.serve"], env, directory / "bot.log")
        print(f"measuring {mode(args, bot, relay)}", flush=True)
        settle = await storm.until_idle(url, storm.LIMITED_WAIT_S if args.slack_limits
                                         else storm.IDLE_WAIT_S)
        card_of = storm.cards(fake)
        print(f"bot ready at {bot.url}; {len(card_of)} cards posted, settled in {settle:.1f} s",
              flush=True)
        clicks = storm.plan(change_ids, votes)
        fake.expected = len(clicks)
        profiler = await start_profiler(args.profile, bot.pid)
        before = {k: v for k, v in fake.counts.items()}
        async with SlackDriver(fake, f"{bot.url}/slack/events", storm.SECRET) as driver:
            started_at = datetime.now(UTC)
            send = storm.clicker(driver, card_of,
                                 lambda c, card: fake.expect(c.index, card.channel, card.ts,
                                                             c.user))
            sent, wall = await storm.storm(clicks, args.concurrency, send)
            shown = await fake.all_shown(storm.LIMITED_WAIT_S if args.slack_limits
                                         else SHOWN_WAIT_S)
        drained = await storm.until_idle(url, storm.LIMITED_WAIT_S if args.slack_limits
                                         else storm.IDLE_WAIT_S)
        await stop_profiler(profiler)
        db = await open_database(url, migrate=False)
        try:
            counted = await storm.tally(db, change_ids)
        finally:
            await db.dispose()
    finally:
        if bot is not None:
            await bot.stop()
        if relay is not None:
            await relay.stop()
        await fake.close()
    acks = [s.ack_s for s in sent if s is not None]
    to_card = [fake.shown_at[c.index] - sent_at for c, sent_at in _sent_times(fake, clicks)
               if c.index in fake.shown_at]
    commit_s = ((counted.last_response_at - started_at).total_seconds()
                if counted.last_response_at else float("nan"))
    calls = {k: v - before.get(k, 0) for k, v in fake.counts.items()}
    print(f"clicks sent in {wall:.1f} s; all shown on cards: {shown}; outbox drained "
          f"{drained:.1f} s after; Slack calls during the storm: {dict(sorted(calls.items()))}")
    return {
        "acked_ok": sum(1 for s in sent if s is not None and s.status == 200 and s.recorded),
        "not_recorded": sum(1 for s in sent if s is not None and not s.recorded),
        "ack_p50": percentile(acks, 50) * 1000, "ack_p99": percentile(acks, 99) * 1000,
        "card_p50": percentile(to_card, 50) * 1000, "card_p99": percentile(to_card, 99) * 1000,
        "shown": len(fake.shown_at), "commit_s": commit_s,
        "decisions_per_s": counted.response_events / commit_s,
        "votes": counted.votes, "distinct_votes": counted.distinct_votes,
        "response_events": counted.response_events, "refused": counted.refused_events,
        "approved": counted.approved, "changes": counted.changes,
    }


def mode(args: argparse.Namespace, bot: Server, relay: Server | None) -> str:
    """Which deployment the numbers are of."""
    if relay is None:
        return f"role all: one process (pid {bot.pid}) takes the clicks and delivers to Slack"
    return (f"role split: a web process (pid {bot.pid}) takes the clicks, a relay process "
            f"(pid {relay.pid}) delivers to Slack, on one database")


async def start_profiler(path: Path | None, pid: int) -> asyncio.subprocess.Process | None:
    """py-spy sampling the bot (pip install py-spy), written as a collapsed-stack file."""
    if path is None:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
        "--output", str(path), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)


async def stop_profiler(profiler: asyncio.subprocess.Process | None) -> None:
    if profiler is not None and profiler.returncode is None:
        profiler.send_signal(signal.SIGINT)
        await asyncio.wait_for(profiler.wait(), 60)


def _sent_times(fake: RecordingSlack, clicks: list[storm.Click]) -> list[tuple[storm.Click, float]]:
    return [(c, fake.sent_at[c.index]) for c in clicks if c.index in fake.sent_at]


async def run_baseline(args: argparse.Namespace, directory: Path) -> dict[str, float]:
    """The same clicks against bench.baseline: one signed request, one committed row each."""
    votes = args.clicks // args.changes
    change_ids = [f"CHG-{n + 1}" for n in range(args.changes)]
    clicks = storm.plan(change_ids, votes)
    fake = RecordingSlack(storm.workspace())
    card_of = {cid: _fake_card(cid) for cid in change_ids}
    db_file = directory / "baseline.db"
    server = await start(["-m", "bench.baseline", str(db_file), storm.SECRET], clean_env(),
                         directory / "baseline.log")
    try:
        async with SlackDriver(fake, f"{server.url}/slack/events", storm.SECRET) as driver:
            sent, wall = await storm.storm(clicks, args.concurrency,
                                           storm.clicker(driver, card_of))
    finally:
        await server.stop()
    stored = count_votes(db_file)
    acks = [s.ack_s for s in sent if s is not None]
    return {"decisions_per_s": stored / wall, "stored": stored,
            "ack_p50": percentile(acks, 50) * 1000, "ack_p99": percentile(acks, 99) * 1000}


def count_votes(db_file: Path) -> int:
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        return int(conn.execute("SELECT count(*) FROM votes").fetchone()[0])


def _fake_card(change_id: str) -> storm.Message:
    """What the baseline's clicks are pressed on: a card with an Approve button."""
    block = {"type": "actions", "block_id": "cg_actions", "elements": [
        {"type": "button", "action_id": "cg_approve",
         "value": button_value(change_id, Seen(1, None)),
         "text": {"type": "plain_text", "text": "Approve"}}]}
    return storm.Message(storm.CHANNEL, "1790000000.000001", f"{change_id} card", [block], "U0")


def judge(args: argparse.Namespace, ours: dict[str, float], base: dict[str, float]) -> Verdicts:
    verdicts = Verdicts()
    ratio = ours["decisions_per_s"] / base["decisions_per_s"]
    verdicts.check("ack p99", f"{ours['ack_p99']:.1f} ms", "< 100 ms", ours["ack_p99"] < 100)
    verdicts.check("click-to-card p99", f"{ours['card_p99']:.0f} ms", "< 1000 ms",
                   ours["card_p99"] < 1000 and ours["shown"] == args.clicks)
    verdicts.check("decisions/s vs baseline", f"{ratio:.2f} x", ">= 0.5 x", ratio >= 0.5)
    exact = (ours["votes"] == ours["distinct_votes"] == ours["response_events"] == args.clicks
             and ours["approved"] == args.changes and ours["acked_ok"] == args.clicks)
    lost = args.clicks - ours["votes"]
    doubled = ours["response_events"] - ours["distinct_votes"]
    verdicts.check("lost or doubled votes", f"{lost:.0f} / {doubled:.0f}", "0 / 0", exact)
    return verdicts


async def main(args: argparse.Namespace) -> int:
    if args.clicks % args.changes:
        print("--clicks must be a multiple of --changes", file=sys.stderr)
        return 2
    print(f"click storm: M={args.changes} N={args.clicks} C={args.concurrency} on {machine()}")
    directory = Path(tempfile.mkdtemp(prefix="cg-storm-"))
    async with bench_database(directory, args.postgres, "cg_storm") as url:
        ours = await run_bot(args, directory, url)
    base = await run_baseline(args, directory)
    print(f"\nChangeGate ({'PostgreSQL' if args.postgres else 'SQLite'}, role {args.role}): "
          f"ack p50 {ours['ack_p50']:.1f} ms, p99 {ours['ack_p99']:.1f} ms; click-to-card p50 "
          f"{ours['card_p50']:.0f} ms, p99 {ours['card_p99']:.0f} ms; "
          f"{ours['decisions_per_s']:.0f} decisions/s ({ours['response_events']:.0f} in "
          f"{ours['commit_s']:.1f} s)")
    print(f"baseline (SQLite, one transaction per click): {base['decisions_per_s']:.0f} "
          f"decisions/s, ack p50 {base['ack_p50']:.1f} ms, p99 {base['ack_p99']:.1f} ms "
          f"({base['stored']:.0f} stored)")
    print(f"counts: {ours['votes']:.0f} live approvals ({ours['distinct_votes']:.0f} distinct), "
          f"{ours['response_events']:.0f} response events, {ours['refused']:.0f} refusals, "
          f"{ours['approved']:.0f}/{ours['changes']:.0f} changes approved; "
          f"{ours['not_recorded']:.0f} answered 'not recorded yet'\n")
    verdicts = judge(args, ours, base)
    return finish(verdicts, directory)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=500, metavar="M")
    storm.add_notify_option(parser)
    parser.add_argument("--clicks", type=int, default=5000, metavar="N")
    parser.add_argument("--concurrency", type=int, default=50, metavar="C")
    parser.add_argument("--postgres", metavar="URL",
                        help="run the bot on a fresh database created on this PostgreSQL server")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="sample the bot with py-spy during the storm (collapsed stacks)")
    parser.add_argument("--pacing", type=float, default=0.0, metavar="SECONDS",
                        help="the bot's per-channel post spacing (serve uses 1; default 0)")
    parser.add_argument("--slack-limits", action="store_true",
                        help="the fake Slack enforces Slack's published rate limits (429 with "
                             "Retry-After) and the bot keeps to them, as serve does")
    parser.add_argument("--role", choices=(ALL, SPLIT), default=ALL,
                        help="all: the bot as one process (serve's default); split: a web "
                             "process taking the clicks and a relay process delivering to "
                             "Slack, on one database (serve --role web / --role relay)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_bench(main, parse())
