"""`/readyz` of the bot's own server with its database gone: anonymous callers learn that it is
unavailable, never the driver's text (which names files, hosts and ports)."""

from __future__ import annotations

import gc
import shutil
import threading
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.composition import open_runtime
from bot.server import create_app
from bot.settings import Settings
from storage.database import create_database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = ROOT / "examples" / "changegate.yaml"
JOIN_S = 5.0


def take_away(database: Path) -> None:
    """A directory where the file was: no connection can open it, the driver says why."""
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()
    database.mkdir()


def settle_failed_connections(before: set[threading.Thread]) -> None:
    """A connection that never opened keeps its aiosqlite worker thread until it is collected;
    collected later, under another test's loop, the thread answers a loop that is closed. Collect
    it now and let the threads this test started end (bounded)."""
    gc.collect()
    for thread in set(threading.enumerate()) - before:
        if "_connection_worker_thread" in thread.name:
            thread.join(JOIN_S)


async def test_readyz_says_database_unavailable_without_the_drivers_text(
        tmp_path: Path) -> None:
    database = tmp_path / "cg.db"
    settings = Settings(EXAMPLE_POLICY, f"sqlite+aiosqlite:///{database}")
    await create_database(settings.database_url)
    threads = set(threading.enumerate())
    runtime = await open_runtime(settings)
    try:
        take_away(database)
        async with TestClient(TestServer(create_app("v1", runtime))) as client, \
                client.get("/api/v1/readyz") as response:
            body = await response.json()
    finally:
        await runtime.close()
        settle_failed_connections(threads)
        shutil.rmtree(database)

    assert (response.status, body["reason"]) == (503, "not_ready")
    assert body["detail"].startswith("database unavailable")
    assert "open database file" not in body["detail"]
    assert "sqlite" not in str(body).lower() and str(tmp_path) not in str(body)
