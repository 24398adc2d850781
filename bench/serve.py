"""`changegate serve` for benchmarks: the same runtime and server, with per-channel pacing set by
BENCH_PACING_S (default 0: no pacing at all, for a fake Slack that does not rate-limit). Any other
value paces as serve does: every call within Slack's published limits
(bot/slack/outbound/limits.py), for a fake Slack started with them (`--slack-limits`).

Run from the repository root: python -m bench.serve (settings from the environment, as serve).
"""

from __future__ import annotations

import asyncio
import os
import sys

from bot.composition import open_runtime
from bot.server import run_server
from bot.settings import Settings
from storage.database import create_database
from workflow.policy import load_policy


async def serve() -> None:
    settings = Settings.load(os.environ)
    policy = load_policy(settings.policy_path)
    await create_database(settings.database_url)
    runtime = await open_runtime(settings, pacing_s=float(os.environ.get("BENCH_PACING_S", "0")))
    try:
        await run_server(settings, policy.version, runtime)
    finally:
        await runtime.close()


if __name__ == "__main__":
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(130)
