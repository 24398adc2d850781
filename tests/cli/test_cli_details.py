"""The small things a newcomer meets first: --version, a quick --help, a quiet end when the
reader of `audit export` goes away, and a taken port named with CHANGEGATE_PORT."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from storage.database import open_database
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import sqlite_url
from tests.support.served import PROCESS_TIMEOUT_S, ROOT, clean_environment, run_cli
from tests.support.world import World

HEAVY = ("sqlalchemy", "aiohttp", "slack_sdk", "slack_bolt", "alembic", "apscheduler")


async def test_version_names_the_package_version() -> None:
    ran = await run_cli("--version", env=clean_environment())
    assert (ran.code, ran.out) == (0, "changegate 0.1.0\n")


def test_the_command_line_starts_without_database_slack_or_http_libraries() -> None:
    probe = ("import sys, bot.cli.main; bot.cli.main._parser(); "
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    ran = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=clean_environment(),
                         capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S, check=True)
    assert ran.stdout == "\n"


def test_audit_export_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)

    async def record() -> None:
        db = await open_database(url)
        try:
            await World(uow=SqlUnitOfWorkFactory(db)).propose("low")
        finally:
            await db.dispose()

    asyncio.run(record())
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: `| head -0`
    try:
        ran = subprocess.run([sys.executable, "-m", "bot.cli", "audit", "export"], cwd=tmp_path,
                             env=clean_environment(CHANGEGATE_DATABASE_URL=url),
                             stdout=write_end, stderr=subprocess.PIPE, text=True,
                             timeout=PROCESS_TIMEOUT_S, check=False)
    finally:
        os.close(write_end)
    assert (ran.returncode, ran.stderr) == (141, "")


async def test_a_taken_port_is_named_with_changegate_port(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        ran = await run_cli(
            "serve", "--sandbox", "--policy", str(ROOT / "examples" / "sandbox.yaml"),
            env=clean_environment(CHANGEGATE_PORT=str(port),
                                  CHANGEGATE_DATABASE_URL=sqlite_url(tmp_path)))
    assert ran.code == 1
    assert ran.err.startswith(f"changegate: cannot listen on 127.0.0.1:{port}: ")
    assert "pick another port with CHANGEGATE_PORT (e.g. CHANGEGATE_PORT=8081)" in ran.err
