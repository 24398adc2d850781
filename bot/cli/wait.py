"""Waiting for a change's review: the long-poll loop, its exit codes and what it prints."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from datetime import timedelta
from typing import Any

from bot.cli.api_client import ApiClient
from bot.cli.spinner import Spinner
from workflow.durations import format_duration

# Exit codes of `wait` (and of `submit --wait`, `apply`): documented in docs/cli.md.
EXIT_ERROR, EXIT_REFUSED, EXIT_ENDED, EXIT_TIMED_OUT = 1, 2, 3, 4
EXIT_OF_STATE = {
    "approved": 0, "scheduled": 0, "executing": 0, "applied": 0,
    "rejected": EXIT_REFUSED, "failed": EXIT_REFUSED,
    "expired": EXIT_ENDED, "cancelled": EXIT_ENDED, "apply_unknown": EXIT_ENDED,
}
POLL_S = 60  # one long-poll; the server allows up to 300


async def wait_and_report(client: ApiClient, change: str, args: argparse.Namespace, *,
                          print_state: bool) -> int:
    """Wait as `args` say (until, timeout, json), print the outcome, return the exit code."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with Spinner(sys.stderr, f"waiting for {change} to be {args.until}") as spinner:
        result = await wait_until(client, change, args.until, args.timeout, spinner)
    waited = format_duration(timedelta(seconds=round(loop.time() - started)))
    state = result["change"]["state"]
    if result["reached"]:
        code = EXIT_OF_STATE.get(state, EXIT_TIMED_OUT)
        print(f"{change} {state} after {waited}{_why(result['change'])}", file=sys.stderr)
    else:
        code = EXIT_TIMED_OUT
        print(f"{change} is still {state} after {waited}: stopped waiting (--timeout)",
              file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    elif print_state:
        print(state)
    return code


async def wait_until(client: ApiClient, change: str, until: str, limit_s: float | None,
                     spinner: Spinner) -> dict[str, Any]:
    """Long-poll again and again until the change reaches `until` or `limit_s` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = None if limit_s is None else loop.time() + limit_s
    poll = 0  # the first answer comes at once: the state to show while waiting
    while True:
        answer = await client.call("GET", f"/changes/{change}/wait", wait_s=poll,
                                   params={"until": until, "timeout": str(poll)})
        result = answer.body
        spinner.label = f"waiting for {change} to be {until}: {describe(result['change'])}"
        if result["reached"] or (deadline is not None and loop.time() >= deadline):
            return result
        poll = POLL_S if deadline is None else max(0, min(POLL_S,
                                                          math.ceil(deadline - loop.time())))


def describe(change: dict[str, Any]) -> str:
    """`CHG-7 pending_review, workflow high, stage 1 of 1 needs 2 of seniors (1 so far)`."""
    text = f"{change['id']} {change['state']}"
    workflow = change.get("workflow") or {}
    if workflow.get("name"):
        text += f", workflow {workflow['name']}"
    active = change.get("active_stage")
    progress = change.get("progress") or []
    if active is not None and 0 < active <= len(progress):
        needs = ", ".join(f"{r['count']} of {r['group']} ({len(r['approvers'])} so far)"
                          for r in progress[active - 1]["requirements"] if not r["met"])
        text += f", stage {active} of {len(progress)} needs {needs}"
    return text


def _why(change: dict[str, Any]) -> str:
    """A rejection's reason, from the last live rejecting response."""
    if change["state"] != "rejected":
        return ""
    rejections = [r for r in change.get("responses") or [] if r.get("verdict") == "reject"]
    if not rejections:
        return ""
    last = rejections[-1]
    return f" by {last['person']}: {last['comment']}"
