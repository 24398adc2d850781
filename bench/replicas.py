"""Click storm over several replicas on one PostgreSQL database: M changes, N Approve forms
spread over the replicas, C at a time; with --kill, replica 0 is SIGKILLed halfway through and
its clicks go to the others (as a person clicks again when Slack shows an error).

Run from the repository root:
    python -m bench.replicas --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
        [--replicas 3 --changes 200 --clicks 2000 --concurrency 30 --kill]
Not a test (tests/replicas is): it prints numbers and checks that nothing was lost or doubled.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from bench import storm
from bench.card_freshness import FreshnessSlack, copies_final, quiet
from bench.cluster import SECRET, Cluster, running_cluster
from bench.databases import fresh_postgres
from bench.report import Verdicts, finish, machine, percentile, run_bench
from bench.slackrec import RecordingSlack
from bot.sandbox.fakeslack import SlackDriver, payloads
from bot.sandbox.fakeslack.state import Message
from bot.slack.outbound.limits import TIER_3
from bot.slack.rendering import ids
from storage.database import open_database

RETRIES = 3


class Spread:
    """Sends each click to the next live replica; a click whose replica died goes to another."""

    def __init__(self, cluster: Cluster, card_of: dict[str, Message], fake: RecordingSlack,
                 kill_after: int | None) -> None:
        self.cluster = cluster
        self.card_of = card_of
        self.fake = fake
        self.kill_after = kill_after
        self.sent = 0
        self.errors = 0
        self.unrecorded = 0  # answers "Not recorded yet", submitted again
        self.killed_at: float | None = None

    async def send(self, click: storm.Click) -> storm.Sent:
        card = self.card_of[click.change_id]
        self.fake.expect(click.index, card.channel, card.ts, click.user)
        started = time.perf_counter()
        self.sent += 1
        if self.kill_after is not None and self.sent == self.kill_after:
            self.killed_at = time.perf_counter()
            await self.cluster.kill(0)
        form = storm.approve_form(self.cluster.fake, click.user, card, SECRET)
        for attempt in range(RETRIES):
            alive = self.cluster.alive()
            driver: SlackDriver = self.cluster.drivers[alive[(click.index + attempt) % len(alive)]]
            try:
                reply = await driver.submit(click.user, form,
                                            {ids.COMMENT_BLOCK: payloads.text_value("")})
            except aiohttp.ClientError:
                self.errors += 1
                continue
            if storm.says_not_recorded(reply):  # told so, the person submits again
                self.unrecorded += 1
                form = storm.approve_form(self.cluster.fake, click.user, card, SECRET)
                continue
            return storm.Sent(reply.status, time.perf_counter() - started)
        return storm.Sent(0, time.perf_counter() - started)


async def run(args: argparse.Namespace, directory: Path, url: str) -> Verdicts:
    votes = args.clicks // args.changes
    policy = storm.policy_text(votes, args.notify)
    _, parsed = storm.write_policy(directory, votes, args.notify)
    change_ids = await storm.seed(url, parsed, args.changes)
    fake = FreshnessSlack(storm.workspace())
    wait_s = storm.LIMITED_WAIT_S if args.slack_limits else storm.IDLE_WAIT_S
    if args.slack_limits:
        fake.with_limits()
    async with running_cluster(directory, url, replicas=args.replicas, lease_s=args.lease,
                               policy=policy, fake=fake, channel=storm.CHANNEL,
                               command=["-m", "bench.serve"],
                               extra_env={"BENCH_PACING_S": "1",
                                          "CHANGEGATE_REPLICAS": str(args.replicas)}
                               if args.slack_limits else None
                               ) as cluster:
        settle = await storm.until_idle(url, wait_s)
        card_of = storm.cards(fake)
        print(f"{args.replicas} replicas ready; {len(card_of)} cards, settled in {settle:.1f} s",
              flush=True)
        clicks = storm.plan(change_ids, votes)
        fake.expected = len(clicks)
        spread = Spread(cluster, card_of, fake, len(clicks) // 2 if args.kill else None)
        began = time.perf_counter()
        sent, wall = await storm.storm(clicks, args.concurrency, spread.send)
        shown = await fake.all_shown(max(600, wait_s))
        drained = await storm.until_idle(url, wait_s)
        done = time.perf_counter() - began
        if args.slack_limits:
            await quiet(fake, began)
        db = await open_database(url, migrate=False)
        try:
            counted = await storm.tally(db, change_ids)
        finally:
            await db.dispose()
        posted = Counter(m.text.split(" ", 1)[0] for m in fake.messages(storm.CHANNEL))
    acks = [s.ack_s for s in sent if s is not None and s.status == 200]
    to_card = [fake.shown_at[i] - fake.sent_at[i] for i in fake.shown_at]
    print(f"clicks sent in {wall:.1f} s ({spread.errors} connection errors and "
          f"{spread.unrecorded} answers 'not recorded yet' re-sent); all shown "
          f"on cards: {shown}; outbox drained {drained:.1f} s after; everything done in "
          f"{done:.1f} s")
    print(f"ack p50 {percentile(acks, 50) * 1e3:.1f} ms, p99 {percentile(acks, 99) * 1e3:.1f} ms;"
          f" click-to-card p50 {percentile(to_card, 50) * 1e3:.0f} ms, p99 "
          f"{percentile(to_card, 99) * 1e3:.0f} ms; {counted.response_events / done:.0f} "
          f"decisions/s over the whole run")
    print(f"counts: {counted.votes} live approvals ({counted.distinct_votes} distinct), "
          f"{counted.response_events} response events, {counted.approved}/{counted.changes} "
          f"approved; cards per change: {sorted(set(posted.values()))}")
    verdicts = Verdicts()
    if args.slack_limits:
        final = copies_final(fake, card_of, clicks, began, wall)
        ratio = final["final_s"] / final["bound_s"]
        print(f"{final['copies']:.0f} card copies all final after {final['final_s']:.0f} s; "
              f"lower bound {final['bound_s']:.0f} s = max(storm, ({final['updated_only']:.0f} "
              f"copies nobody clicked on - {TIER_3.burst}) updates at {TIER_3.per_minute:g}/min)"
              f"; {final['stale']:.0f} copies missing a vote; {final['updates']:.0f} card updates "
              f"({final['replaced']:.0f} through the clicks' response_url)")
        verdicts.check("all cards final / bound", f"{ratio:.2f} x", "<= 1.5 x",
                       ratio <= 1.5 and not final["stale"])
    verdicts.check("every click answered", f"{len(acks)}/{len(clicks)}", "all",
                   len(acks) == len(clicks))
    verdicts.check("votes lost / doubled",
                   f"{args.clicks - counted.votes} / "
                   f"{counted.response_events - counted.distinct_votes}", "0 / 0",
                   counted.votes == counted.distinct_votes == counted.response_events
                   == args.clicks)
    verdicts.check("changes approved once", f"{counted.approved}", f"{args.changes}",
                   counted.approved == args.changes)
    if fake.limits is not None:  # every replica keeps to the limits; together they exceed them
        verdicts.check("calls before Retry-After", f"{len(fake.limits.early)} "
                       f"(of {len(fake.limits.refusals)} 429s)", "0", not fake.limits.early)
    verdicts.check("cards posted per change", f"{sorted(set(posted.values()))}", "[1]",
                   set(posted.values()) == {1})
    return verdicts


async def main(args: argparse.Namespace) -> int:
    if args.clicks % args.changes:
        print("--clicks must be a multiple of --changes", file=sys.stderr)
        return 2
    print(f"replicas: {args.replicas} x bench.serve, M={args.changes} N={args.clicks} "
          f"C={args.concurrency}{' with a SIGKILL halfway' if args.kill else ''} on {machine()}")
    directory = Path(tempfile.mkdtemp(prefix="cg-replicas-"))
    async with fresh_postgres(args.postgres, "cg_replicas") as url:
        verdicts = await run(args, directory, url)
    print()
    return finish(verdicts, directory)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, metavar="URL",
                        help="PostgreSQL server on which a fresh database is created")
    parser.add_argument("--replicas", type=int, default=3)
    storm.add_notify_option(parser)
    parser.add_argument("--changes", type=int, default=200, metavar="M")
    parser.add_argument("--clicks", type=int, default=2000, metavar="N")
    parser.add_argument("--concurrency", type=int, default=30, metavar="C")
    parser.add_argument("--lease", type=float, default=10.0,
                        help="CHANGEGATE_LEASE_SECONDS of the replicas")
    parser.add_argument("--kill", action="store_true", help="SIGKILL replica 0 halfway")
    parser.add_argument("--slack-limits", action="store_true",
                        help="the fake Slack enforces Slack's published rate limits and every "
                             "replica keeps to them")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_bench(main, parse())
