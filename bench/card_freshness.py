"""Cards under Slack's real limits: the fake Slack enforces Slack's published rate limits (429
with Retry-After) and the bot keeps to them as `serve` does. Measures (a) click-to-card at a
steady light load, (b) after a click storm, the time until every card copy shows its final state
against the lower bound the limits allow, (c) that every 429 was waited out and no update dropped.

Run from the repository root:
    python -m bench.card_freshness [--changes 500 --clicks 5000 --concurrency 50]
    python -m bench.card_freshness --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
Not a test: it prints numbers and pass/fail against the targets (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import storm
from bench.databases import bench_database
from bench.processes import Server, clean_env, start
from bench.report import Verdicts, finish, machine, percentile, run_bench
from bench.slackrec import MENTION, RecordingSlack, shown
from bot.sandbox.fakeslack import SlackDriver
from bot.slack.outbound.limits import TIER_3

QUIET_S = 15.0  # no card update for this long (12 x chat.update's spacing): the cards are done
LIGHT_CHANGES = 20


@dataclass
class FreshnessSlack(RecordingSlack):
    """Also keeps, per message, when each chat.update landed and what it showed."""

    updates: dict[tuple[str, str], list[tuple[float, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    last_update: float = 0.0

    def _call(self, method: str, args: dict[str, Any], token: str | None
              ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, body, headers = super()._call(method, args, token)
        if method == "chat.update" and body.get("ok"):
            self._landed(str(body["channel"]), str(args["ts"]), shown(args))
        return status, body, headers

    def _replaced(self, channel: str, ts: str, body: dict[str, Any]) -> None:
        super()._replaced(channel, ts, body)
        self._landed(channel, ts, shown(body))

    def _landed(self, channel: str, ts: str, showing: str) -> None:
        """Keep when an update of the card landed and what it showed."""
        self.last_update = time.perf_counter()
        self.updates[(channel, ts)].append(
            (self.last_update, hashlib.sha256(showing.encode()).hexdigest(), showing))

    def unchanged(self) -> tuple[int, int]:
        """chat.update calls that went through, and how many of them changed nothing shown."""
        calls = sum(len(seen) for seen in self.updates.values())
        same = sum(1 for seen in self.updates.values()
                   for before, after in itertools.pairwise(seen) if before[1] == after[1])
        return calls, same

    def final_at(self, card: tuple[str, str]) -> float | None:
        """When the card came to show what it shows last (None: never updated)."""
        seen = self.updates.get(card)
        if not seen:
            return None
        at = seen[-1][0]
        for landed, printed, _ in reversed(seen):
            if printed != seen[-1][1]:
                break
            at = landed
        return at


@dataclass
class Run:
    fake: FreshnessSlack
    bot: Server
    change_ids: list[str]
    votes: int
    card_of: dict[str, Any]


async def started(args: argparse.Namespace, directory: Path, url: str, changes: int,
                  votes: int, name: str) -> Run:
    """Seed `changes` pending changes, start the fake Slack with limits and the bot, and wait
    until every card is posted and the outbox is empty."""
    sub = directory / name
    policy_path, policy = storm.write_policy(sub, votes, args.notify)
    change_ids = await storm.seed(url, policy, changes)
    fake = FreshnessSlack(storm.workspace()).with_limits()
    await fake.start()
    env = clean_env(CHANGEGATE_POLICY=str(policy_path), CHANGEGATE_DATABASE_URL=url,
                    CHANGEGATE_PORT="0", SLACK_BOT_TOKEN=fake.workspace.bot_token,
                    SLACK_SIGNING_SECRET=storm.SECRET, SLACK_API_URL=fake.api_url,
                    SLACK_CHANNEL=storm.CHANNEL, SLACK_TEAM_ID=fake.workspace.team_id,
                    BENCH_PACING_S="1")
    bot = await start(["-m", "bench.serve"], env, sub / "bot.log")
    settle = await storm.until_idle(url, storm.LIMITED_WAIT_S)
    card_of = storm.cards(fake)
    print(f"[{name}] {len(card_of)} cards posted within Slack's limits in {settle:.0f} s",
          flush=True)
    return Run(fake, bot, change_ids, votes, card_of)


async def light(args: argparse.Namespace, directory: Path, url: str) -> dict[str, float]:
    """(a) clicks at a steady `--rate` a second over 20 changes: click-to-card."""
    votes = args.light_clicks // LIGHT_CHANGES
    run = await started(args, directory, url, LIGHT_CHANGES, votes, "light")
    fake = run.fake
    try:
        clicks = storm.plan(run.change_ids, votes)
        fake.expected = len(clicks)
        async with SlackDriver(fake, f"{run.bot.url}/slack/events", storm.SECRET) as driver:
            send = storm.clicker(driver, run.card_of, lambda c, card: fake.expect(
                c.index, card.channel, card.ts, c.user))
            began = time.perf_counter()
            tasks = []
            for n, click in enumerate(clicks):  # open loop: one click every 1/rate s
                await asyncio.sleep(max(0.0, began + n / args.rate - time.perf_counter()))
                tasks.append(asyncio.ensure_future(send(click)))
            await asyncio.gather(*tasks)
            all_in = await fake.all_shown(storm.LIMITED_WAIT_S)
    finally:
        await run.bot.stop()
        await fake.close()
    to_card = [fake.shown_at[i] - fake.sent_at[i] for i in fake.shown_at]
    calls, same = fake.unchanged()
    return {"p50": percentile(to_card, 50), "p99": percentile(to_card, 99),
            "shown": len(fake.shown_at), "clicks": len(clicks), "all_shown": float(all_in),
            "updates": calls, "unchanged": same, "replaced": fake.counts["response_url"],
            **honoured(fake)}


async def storm_run(args: argparse.Namespace, directory: Path, url: str) -> dict[str, float]:
    """(b) a storm of `--clicks`, then until every card copy shows its final state."""
    votes = args.clicks // args.changes
    run = await started(args, directory, url, args.changes, votes, "storm")
    fake = run.fake
    try:
        clicks = storm.plan(run.change_ids, votes)
        fake.expected = len(clicks)
        async with SlackDriver(fake, f"{run.bot.url}/slack/events", storm.SECRET) as driver:
            send = storm.clicker(driver, run.card_of, lambda c, card: fake.expect(
                c.index, card.channel, card.ts, c.user))
            began = time.perf_counter()
            _, wall = await storm.storm(clicks, args.concurrency, send)
            await fake.all_shown(storm.LIMITED_WAIT_S)
            await quiet(fake, began)
    finally:
        await run.bot.stop()
        await fake.close()
    return {**copies_final(fake, run.card_of, clicks, began, wall),
            "shown": len(fake.shown_at), "clicks": len(clicks), **honoured(fake)}


def copies_final(fake: FreshnessSlack, card_of: dict[str, Any], clicks: Sequence[storm.Click],
                 began: float, wall: float) -> dict[str, float]:
    """When every card copy of the clicked changes showed its final state, against the lower
    bound Slack's limits allow, and how many copies miss a vote."""
    voters: dict[str, set[str]] = defaultdict(set)
    for click in clicks:
        voters[click.change_id].add(click.user)
    copies = {(m.channel, m.ts): m.text.split(" ", 1)[0] for m in fake.state.messages.values()
              if m.thread_ts is None and m.text.split(" ", 1)[0] in voters}
    finals = [fake.final_at(card) for card in copies]
    stale = [card for card, change_id in copies.items()
             if not voters[change_id] <= set(MENTION.findall(fake.updates[card][-1][2]
                                                             if fake.updates.get(card) else ""))]
    done = max((f for f in finals if f is not None), default=began) - began
    # A card clicked on can be brought to its end by its last click's response_url; the other
    # copies can only take chat.update.
    clicked = {(card.channel, card.ts) for card in card_of.values()}
    updated_only = len([card for card in copies if card not in clicked])
    bound = max(wall, (updated_only - TIER_3.burst) / TIER_3.per_s)
    calls, same = fake.unchanged()
    return {"updates": calls, "unchanged": same, "replaced": fake.counts["response_url"],
            "wall": wall, "copies": len(copies), "updated_only": updated_only,
            "final_s": done, "bound_s": bound, "stale": len(stale)}


async def quiet(fake: FreshnessSlack, since: float) -> None:
    """Return once no card update has landed for QUIET_S seconds."""
    while True:  # a quiet spell, not an event to wait for
        idle = time.perf_counter() - max(fake.last_update, since)
        if idle >= QUIET_S:
            return
        await asyncio.sleep(QUIET_S - idle)


def honoured(fake: FreshnessSlack) -> dict[str, float]:
    """The fake Slack's count of 429s, and of calls made before their Retry-After."""
    assert fake.limits is not None
    by_method: dict[str, int] = defaultdict(int)
    for refusal in fake.limits.refusals:
        by_method[refusal.method] += 1
    if by_method:
        print(f"429s by method: {dict(sorted(by_method.items()))}")
    return {"refused": len(fake.limits.refusals), "early": len(fake.limits.early)}


def judge(a: dict[str, float], b: dict[str, float]) -> Verdicts:
    verdicts = Verdicts()
    verdicts.check("(a) click-to-card p99", f"{a['p99'] * 1000:.0f} ms", "< 1000 ms",
                   a["p99"] < 1 and a["shown"] == a["clicks"])
    ratio = b["final_s"] / b["bound_s"]
    verdicts.check("(b) all cards final / bound", f"{ratio:.2f} x", "<= 1.5 x",
                   ratio <= 1.5 and b["stale"] == 0)
    early = a["early"] + b["early"]
    verdicts.check("(c) retried early / dropped", f"{early:.0f} / {b['stale']:.0f}", "0 / 0",
                   early == 0 and b["stale"] == 0 and a["shown"] == a["clicks"])
    return verdicts


async def main(args: argparse.Namespace) -> int:
    if args.clicks % args.changes or args.light_clicks % LIGHT_CHANGES:
        print("--clicks must be a multiple of --changes, --light-clicks of 20", file=sys.stderr)
        return 2
    print(f"cards under Slack's limits: light {args.rate:g} clicks/s x {args.light_clicks} over "
          f"{LIGHT_CHANGES} changes; storm M={args.changes} N={args.clicks} "
          f"C={args.concurrency}; notify {args.notify}; "
          f"{'PostgreSQL' if args.postgres else 'SQLite'} on {machine()}")
    print(f"chat.update (Tier 3) allows {TIER_3.per_minute:g}/min after a burst of "
          f"{TIER_3.burst}: {args.rate:g} clicks/s on distinct cards need up to {args.rate:g} "
          f"updates/s, {args.rate / TIER_3.per_s:.1f} x what it allows", flush=True)
    directory = Path(tempfile.mkdtemp(prefix="cg-fresh-"))
    for name in ("light", "storm"):
        (directory / name).mkdir()
    async with bench_database(directory / "light", args.postgres, "cg_fresh_a") as url:
        a = await light(args, directory, url)
    async with bench_database(directory / "storm", args.postgres, "cg_fresh_b") as url:
        b = await storm_run(args, directory, url)
    print(f"\n(a) {a['clicks']:.0f} clicks at {args.rate:g}/s: click-to-card p50 "
          f"{a['p50']:.2f} s, p99 {a['p99']:.2f} s; {a['shown']:.0f} shown; "
          f"{a['refused']:.0f} 429s, {a['early']:.0f} retried early; {a['updates']:.0f} "
          f"card updates ({a['replaced']:.0f} through the clicks' response_url), "
          f"{a['unchanged']:.0f} of them changing nothing")
    print(f"(b) {b['clicks']:.0f} clicks in {b['wall']:.1f} s; {b['copies']:.0f} card copies "
          f"all final after {b['final_s']:.0f} s; lower bound {b['bound_s']:.0f} s = "
          f"max(storm, ({b['updated_only']:.0f} copies nobody clicked on - {TIER_3.burst}) "
          f"updates at {TIER_3.per_minute:g}/min); {b['stale']:.0f} copies missing a vote; "
          f"{b['updates']:.0f} card updates ({b['replaced']:.0f} through the clicks' "
          f"response_url), {b['unchanged']:.0f} of them changing nothing")
    print(f"(c) {a['refused'] + b['refused']:.0f} 429s answered, "
          f"{a['early'] + b['early']:.0f} calls before their Retry-After\n")
    return finish(judge(a, b), directory)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=500, metavar="M")
    parser.add_argument("--clicks", type=int, default=5000, metavar="N")
    parser.add_argument("--concurrency", type=int, default=50, metavar="C")
    parser.add_argument("--rate", type=float, default=5.0, help="clicks a second in (a)")
    parser.add_argument("--light-clicks", type=int, default=200,
                        help="clicks in (a), spread over 20 changes")
    storm.add_notify_option(parser)
    parser.add_argument("--postgres", metavar="URL",
                        help="run the bot on a fresh database created on this PostgreSQL server")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_bench(main, parse())
