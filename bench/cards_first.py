"""Cards first under Slack's limits: `--changes` changes proposed at once to a 30-person group
(medium: 1 of the group; `notify: both`, the default, a DM for every approver), one bot keeping
Slack's published limits against a fake Slack that enforces them. Measures when each change's
channel card was posted against the bound Slack's one post a second per channel allows, and how
many direct messages each approver got.

Run from the repository root:
    python -m bench.cards_first [--changes 30]
    python -m bench.cards_first --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
Not a test: it prints numbers and pass/fail against the targets (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import storm
from bench.databases import bench_database
from bench.processes import clean_env, start
from bench.report import Verdicts, finish, machine, run_bench
from bench.slackrec import RecordingSlack
from bot.slack.outbound.limits import POST, POST_PER_CHANNEL
from workflow.policy import Policy, parse_policy

GROUP = storm.APPROVERS[:30]
CARDS_WAIT_S = 300.0
SLACK_SLACK_S = 1.5  # the target: every channel card within 1.5 x the bound


def policy_text() -> str:
    """One workflow: 1 of a 30-person group, its cards in the storm channel, notify unset."""
    return f"""
defaults: {{dry_run_ttl: 24h, approval_timeout: 72h, reminder_after: off}}
groups:
  approvers: {{members: [{", ".join(GROUP)}]}}
workflows:
  - name: medium
    priority: 10
    channel: {storm.CHANNEL}
    stages: [{{name: Review, require: [{{group: approvers, count: 1}}]}}]
"""


@dataclass
class PostingSlack(RecordingSlack):
    """Also notes when each top-level message was posted, by channel."""

    posted: list[tuple[float, str, str]] = field(default_factory=list)  # when, channel, text
    wanted: int = 0  # channel cards to wait for
    all_cards: asyncio.Event = field(default_factory=asyncio.Event)

    def _call(self, method: str, args: dict[str, Any], token: str | None
              ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, body, headers = super()._call(method, args, token)
        if method == POST and body.get("ok") and not args.get("thread_ts"):
            self.posted.append((time.perf_counter(), str(body["channel"]),
                                str(args.get("text", ""))))
            if len(self.cards_at(0.0)) >= self.wanted:
                self.all_cards.set()
        return status, body, headers

    def cards_at(self, since: float) -> list[float]:
        """Seconds after `since` at which each channel card was posted, in order."""
        return [at - since for at, channel, text in self.posted
                if channel == storm.CHANNEL and text.startswith("CHG-")]

    def direct_messages(self) -> Counter[str]:
        """Messages (top level and in threads) in each approver's DM."""
        dms = {self.workspace.dm_with(user).id: user for user in GROUP}
        return Counter(dms[m.channel] for m in self.state.messages.values()
                       if m.channel in dms)


async def proposed(url: str, policy: Policy, count: int) -> float:
    """`count` changes proposed and submitted at once (a few ms apart); when it began."""
    began = time.perf_counter()
    await storm.seed(url, policy, count)
    return began


async def until_cards(fake: PostingSlack, within_s: float) -> None:
    """Return once every wanted channel card is posted, or after `within_s` seconds."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(fake.all_cards.wait(), within_s)


async def main(args: argparse.Namespace) -> int:
    bound = args.changes / POST_PER_CHANNEL.per_s
    print(f"cards first: {args.changes} changes at once to a {len(GROUP)}-person group "
          f"(1 of them, notify both) under Slack's limits; "
          f"{'PostgreSQL' if args.postgres else 'SQLite'} on {machine()}", flush=True)
    directory = Path(tempfile.mkdtemp(prefix="cg-cards-"))
    fake = PostingSlack(storm.workspace(), wanted=args.changes).with_limits()
    await fake.start()
    async with bench_database(directory, args.postgres, "cg_cards_first") as url:
        path = directory / "changegate.yaml"
        path.write_text(policy_text(), encoding="utf-8")
        env = clean_env(CHANGEGATE_POLICY=str(path), CHANGEGATE_DATABASE_URL=url,
                        CHANGEGATE_PORT="0", SLACK_BOT_TOKEN=fake.workspace.bot_token,
                        SLACK_SIGNING_SECRET=storm.SECRET, SLACK_API_URL=fake.api_url,
                        SLACK_CHANNEL=storm.CHANNEL, SLACK_TEAM_ID=fake.workspace.team_id,
                        BENCH_PACING_S="1")
        bot = await start(["-m", "bench.serve"], env, directory / "bot.log")
        try:
            began = await proposed(url, parse_policy(policy_text(), str(path)), args.changes)
            await until_cards(fake, CARDS_WAIT_S)
            cards = fake.cards_at(began)
            settled = await storm.until_idle(url, storm.LIMITED_WAIT_S)
        finally:
            await bot.stop()
            await fake.close()
    dms = fake.direct_messages()
    last = cards[-1] if len(cards) == args.changes else float("inf")
    print(f"\n{len(cards)} of {args.changes} channel cards posted; first after "
          f"{cards[0] if cards else float('nan'):.1f} s, last after {last:.1f} s; bound "
          f"{bound:.0f} s ({args.changes} posts at {POST_PER_CHANNEL.per_minute:g}/min in "
          f"one channel)")
    print(f"every message delivered after {settled:.0f} s more; chat.postMessage "
          f"{fake.counts[POST]}, chat.update {fake.counts['chat.update']}")
    print(f"DMs per approver: max {max(dms.values(), default=0)}, mean "
          f"{sum(dms.values()) / max(1, len(GROUP)):.1f}, over {len(dms)} approvers\n")
    verdicts = Verdicts()
    verdicts.check("every channel card / bound", f"{last / bound:.2f} x",
                   f"<= {SLACK_SLACK_S} x", last <= SLACK_SLACK_S * bound)
    return finish(verdicts, directory)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30, metavar="M")
    parser.add_argument("--postgres", metavar="URL",
                        help="run the bot on a fresh database created on this PostgreSQL server")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_bench(main, parse())
