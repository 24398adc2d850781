"""`changegate serve` as a process: it answers /healthz, creates its database, stops on a signal,
and refuses at start-up a Slack configuration that would leave it serving the wrong thing."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.raw_http import send
from tests.support.served import Ran, clean_environment, finish, start_cli
from workflow.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
POLL_ATTEMPTS = 100


async def poll_healthz(url: str) -> dict[str, Any]:
    """Ask until the server answers, a bounded number of times."""
    async with aiohttp.ClientSession() as session:
        for _ in range(POLL_ATTEMPTS):
            try:
                async with session.get(f"{url}/healthz") as response:
                    assert response.status == 200
                    body: dict[str, Any] = await response.json()
                    return body
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"{url}/healthz did not answer after {POLL_ATTEMPTS} attempts")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_serve_answers_healthz_and_stops_cleanly(
    example_policy: Path, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    policy = tmp_path / "changegate.yaml"
    shutil.copyfile(example_policy, policy)
    env = {**os.environ, "CHANGEGATE_HOST": "127.0.0.1", "CHANGEGATE_PORT": "0"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--policy", str(policy),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first_line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)
        found = re.match(r"ChangeGate listening on (http://127\.0\.0\.1:\d+) ", first_line.decode())
        assert found, first_line

        body = await poll_healthz(found.group(1))
        oversized = await send(int(found.group(1).rsplit(":", 1)[1]),
                               f"GET /healthz HTTP/1.1\r\nX-Big: {'a' * 10_240}\r\n\r\n".encode())

        assert body == {"status": "ok", "policy_version": load_policy(policy).version}
        assert (oversized.status, oversized.problem()["reason"]) == (400, "line_too_long")
        assert (tmp_path / "sandbox.db").is_file()  # no Slack setting: the sandbox's own
        process.send_signal(stop_signal)
        out, err = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)
        assert process.returncode == 0, err.decode()
        assert out.decode() == f"ChangeGate stopping on {stop_signal.name}\n"
        assert err.decode() == ("refused a request from 127.0.0.1: the URL or a header is longer "
                                "than 8190 bytes: shorten it\n")  # one line, no traceback
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def serve_exits(policy: Path, env: dict[str, str]) -> Ran:
    """`changegate serve` that is expected to stop by itself."""
    return await finish(await start_cli("serve", "--policy", str(policy), env=env))


@pytest.mark.parametrize(("given", "missing"), [
    ({"SLACK_SIGNING_SECRET": "s3cret"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"},
     "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)"),
], ids=["secret-without-token", "app-token-without-token", "token-without-secret"])
async def test_a_partial_slack_configuration_stops_serve_naming_the_variable(
        example_policy: Path, tmp_path: Path, given: dict[str, str], missing: str) -> None:
    policy = tmp_path / "changegate.yaml"
    shutil.copyfile(example_policy, policy)

    ran = await serve_exits(policy, clean_environment(CHANGEGATE_PORT="0", **given))

    assert ran.code == 1
    assert ran.err.startswith(f"changegate: {missing} is missing")
    assert ran.err.count("\n") == 1 and "Traceback" not in ran.err
    assert ran.out == ""
    assert not (tmp_path / "changegate.db").exists()  # no database was opened,
    assert not (tmp_path / "sandbox.db").exists()  # and no sandbox served


async def test_without_slack_another_database_needs_the_sandbox_flag(
        example_policy: Path, tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    shutil.copyfile(example_policy, policy)
    database = tmp_path / "production.db"

    ran = await serve_exits(policy, clean_environment(
        CHANGEGATE_PORT="0", CHANGEGATE_DATABASE_URL=f"sqlite+aiosqlite:///{database}"))

    assert ran.code == 1
    assert ran.err == (
        "changegate: no Slack settings, and CHANGEGATE_DATABASE_URL is not the sandbox's own "
        "database: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to serve "
        "Slack, or pass --sandbox to serve the sandbox workspace\n")
    assert not database.exists()


async def test_serve_warns_when_its_database_served_another_policy(tmp_path: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))  # serve stops after the check, unable to listen
    env = clean_environment(CHANGEGATE_PORT=str(taken.getsockname()[1]),
                            CHANGEGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}")
    first, second = ROOT / "examples" / "changegate.yaml", ROOT / "examples" / "sandbox.yaml"
    with taken:
        ran = [await finish(await start_cli("serve", "--sandbox", "--policy", str(policy),
                                            env=env)) for policy in (first, first, second)]

    warnings = [[line for line in r.err.splitlines() if "warning" in line] for r in ran]
    assert warnings[:2] == [[], []]  # a new database, then the same policy again
    assert warnings[2] == [
        f"changegate: warning: database sqlite+aiosqlite:///{tmp_path / 'cg.db'} was served with "
        f"policy {first} before, now with {second}: their changes and tokens are mixed; give "
        "each policy its own database (CHANGEGATE_DATABASE_URL)"]
