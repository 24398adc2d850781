"""`changegate report --since …`: what a change advisory board reads, from the API's audit."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from bot.cli.api_client import ApiClient
from bot.cli.pipeline import _add, _run
from bot.cli.report_summary import report_lines, summarize
from workflow.durations import parse_duration

PAGE = 1000


def add_report_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` to the top-level parser."""
    report = _add(commands, "report", _run(print_report),
                  "summarize reviews, applies, time to approve and refusals since a time")
    report.add_argument("--since", required=True, type=since, metavar="WHEN",
                        help="a time with its zone (2026-11-01T00:00:00Z) or how long ago (7d)")
    report.add_argument("--json", action="store_true", help="print the summary as JSON")


def since(text: str) -> datetime:
    """An ISO 8601 time with a zone, or a duration meaning that long before now."""
    try:
        return datetime.now(UTC) - parse_duration(text)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a time with its zone (2026-11-01T00:00:00Z) nor a duration "
            "such as 7d or 24h")
    return value.astimezone(UTC)


async def audit_records(client: ApiClient, start: datetime) -> AsyncIterator[dict[str, Any]]:
    """Every audit record at or after `start`, page by page."""
    params = {"since": start.isoformat(), "limit": str(PAGE)}
    while True:
        page = (await client.call("GET", "/audit", params=params)).body
        for event in page["events"]:
            yield event["record"]
        if page["next_cursor"] is None:
            return
        params["cursor"] = page["next_cursor"]


async def print_report(client: ApiClient, args: argparse.Namespace) -> int:
    """The summary as text, or JSON with --json."""
    summary = summarize([record async for record in audit_records(client, args.since)])
    summary = {"since": args.since.isoformat(), **summary}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"Since {args.since:%Y-%m-%d %H:%M} UTC")
        print("\n".join(report_lines(summary)))
    return 0
