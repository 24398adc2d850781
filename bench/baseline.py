"""The least a vote needs, as a yardstick for the click storm: an aiohttp handler that checks the
Slack signature and commits one SQLite transaction per click (WAL, synchronous=FULL, as the bot).

Run from the repository root: python -m bench.baseline DB_FILE SIGNING_SECRET
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.slack.sealing import MetadataSeal, metadata_key

DB = web.AppKey("db", sqlite3.Connection)
VERIFIER = web.AppKey("verifier", SignatureVerifier)
SEAL = web.AppKey("seal", MetadataSeal)


def open_votes(path: str) -> sqlite3.Connection:
    """One connection with the bot's durability settings; a vote counts once per person."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                   "PRAGMA busy_timeout = 10000"):
        db.execute(pragma)
    db.execute("CREATE TABLE IF NOT EXISTS votes (change_id TEXT NOT NULL, person TEXT NOT NULL,"
               " at REAL NOT NULL, PRIMARY KEY (change_id, person))")
    return db


async def vote(request: web.Request) -> web.Response:
    body = await request.text()
    if not request.app[VERIFIER].is_valid(body, request.headers.get("X-Slack-Request-Timestamp"),
                                          request.headers.get("X-Slack-Signature")):
        return web.Response(status=401)
    payload = json.loads(parse_qs(body)["payload"][0])
    if "view" in payload:  # an Approve form submitted, as the bot is sent: its metadata signed
        opened = request.app[SEAL].opened(payload["view"])
        if opened is None:
            return web.Response(status=400)
        change_id = str(json.loads(opened)["change"])
    else:
        change_id = str(payload["actions"][0]["value"]).split(":")[0]
    db = request.app[DB]
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("INSERT OR IGNORE INTO votes VALUES (?, ?, julianday('now'))",
                   (change_id, payload["user"]["id"]))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return web.Response(status=200)


async def main(path: str, secret: str) -> None:
    app = web.Application()
    app[DB] = open_votes(path)
    app[VERIFIER] = SignatureVerifier(secret)
    app[SEAL] = MetadataSeal(metadata_key(secret))
    app.router.add_post("/slack/events", vote)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    print(f"baseline listening on http://{host}:{port}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()
    app[DB].close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
