"""`changegate outbox`: the outbox by topic (Slack's `change.event`, the event subscriptions'
`subscription.event`) and state, and the dead letters with their last error."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.cli.operator_database import add_sandbox_flag, with_database
from bot.settings import Settings

if TYPE_CHECKING:
    from storage.sql.engines import Database
    from storage.sql.outbox_report import OutboxReport

STATES = ("pending", "delivered", "dead")


def add_outbox_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                         add_policy: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add `outbox` to the top-level parser."""
    text = "show the outbox: messages by topic and state, and the dead letters"
    parser = commands.add_parser("outbox", help=text, description=text + " (newest first)")
    parser.add_argument("--limit", type=int, default=50, metavar="N",
                        help="show at most N dead letters (default 50)")
    parser.add_argument("--json", action="store_true", help="print everything as one object")
    add_policy(parser)
    add_sandbox_flag(parser)
    parser.set_defaults(command=show_outbox)


def show_outbox(settings: Settings, args: argparse.Namespace) -> int:
    """Print the report of the operator's database."""
    from storage.sql.outbox_report import outbox_report

    async def show(db: Database) -> int:
        report = await outbox_report(db, max(args.limit, 0))
        print(json.dumps(as_json(report)) if args.json else "\n".join(lines(report)))
        return 0

    return with_database(settings, show)


def as_json(report: OutboxReport) -> dict[str, Any]:
    """The report as `--json` prints it."""
    return {
        "topics": {topic: {state: getattr(counts, state) for state in STATES}
                   for topic, counts in sorted(report.topics.items())},
        "oldest_pending_at": (report.oldest_pending_at.isoformat()
                              if report.oldest_pending_at else None),
        "dead_letters": [
            {"id": d.id, "topic": d.topic, "change_id": d.change_id, "attempts": d.attempts,
             "dead_at": d.dead_at.isoformat(), "last_error": d.last_error,
             "subscription": d.subscription, "delivery_id": d.delivery_id}
            for d in report.dead
        ],
    }


def lines(report: OutboxReport) -> list[str]:
    """The report for people."""
    width = max([len("topic"), *(len(t) for t in report.topics)])
    out = [f"{'topic':<{width}}  {'pending':>8}  {'delivered':>9}  {'dead':>6}"]
    for topic, counts in sorted(report.topics.items()):
        out.append(f"{topic:<{width}}  {counts.pending:>8}  {counts.delivered:>9}  "
                   f"{counts.dead:>6}")
    if not report.topics:
        out.append("(the outbox is empty)")
    if report.oldest_pending_at is not None:
        out.append(f"oldest waiting since {report.oldest_pending_at.isoformat()}")
    if report.dead:
        out.append("")
        out.append("dead letters, newest first (not retried any more):")
        for d in report.dead:
            what = f"subscription {d.subscription}" if d.subscription else d.topic
            delivery = f", delivery {d.delivery_id}" if d.delivery_id else ""
            out.append(f"  #{d.id} {what} {d.change_id or '-'}: {d.attempts} attempts, dead "
                       f"since {d.dead_at.isoformat()}{delivery}")
            out.append(f"      {d.last_error}")
    return out
