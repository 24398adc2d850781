"""Run the fake Slack on its own: `python -m bot.sandbox.fakeslack --port 3001`, then point the
bot's SLACK_API_URL at the printed address. Stops on Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.fakeslack.workspace import Workspace


def workspace_from(args: argparse.Namespace) -> Workspace:
    """A workspace with the channels, users and groups named on the command line."""
    workspace = Workspace()
    for channel in args.channel:
        workspace.add_channel(channel)
    for user in args.user:
        workspace.add_user(user)
    for spec in args.usergroup:
        group_id, _, members = spec.partition("=")
        workspace.add_usergroup(group_id, group_id.lower(), [m for m in members.split(",") if m])
    return workspace


async def serve(args: argparse.Namespace) -> None:
    fake = FakeSlack(workspace_from(args))
    if args.limits:
        fake.with_limits()
    await fake.start(args.host, args.port)
    try:
        w = fake.workspace
        print(f"Fake Slack at {fake.base_url}: SLACK_API_URL={fake.api_url} "
              f"SLACK_BOT_TOKEN={w.bot_token} SLACK_APP_TOKEN={w.app_token} "
              f"SLACK_TEAM_ID={w.team_id}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await fake.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.fakeslack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--channel", action="append", default=["C0CHANGES"], metavar="ID")
    parser.add_argument("--user", action="append", default=[], metavar="ID")
    parser.add_argument("--usergroup", action="append", default=[], metavar="S0ID=U1,U2")
    parser.add_argument("--limits", action="store_true",
                        help="answer calls over Slack's published rate limits 429 with Retry-After")
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
