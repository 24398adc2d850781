"""`changegate serve` as a process serves the sandbox when asked, or with no Slack setting on the
sandbox's own database; on loopback only unless CHANGEGATE_SANDBOX_HOST says otherwise."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.guard import TOKEN_HEADER
from tests.sandbox.support import CHANNEL, REQUESTER, copy_examples, page_token
from tests.support.served import PROCESS_TIMEOUT_S, clean_environment, start_cli

LINE = re.compile(r"ChangeGate listening on (http://([\d.]+):(\d+)) \(policy [0-9a-f]{12}, "
                  r"database sqlite\+aiosqlite:///(\S+)\); sandbox workspace: open (\S+) "
                  r"\(no login: anyone who reaches it can act as anyone\)\n$")
SLACK = {"SLACK_BOT_TOKEN": "xoxb-real-looking", "SLACK_SIGNING_SECRET": "s3cret",
         "SLACK_API_URL": "http://127.0.0.1:9/api/"}
ELSEWHERE = "127.0.0.2"  # loopback too, but a socket bound to 127.0.0.1 does not answer it


@asynccontextmanager
async def sandbox_process(policy: Path, env: dict[str, str], flags: list[str]
                          ) -> AsyncIterator[tuple[asyncio.subprocess.Process, re.Match[str]]]:
    """`changegate serve` with its start-up line parsed; killed if the test did not stop it."""
    process = await start_cli("serve", "--policy", str(policy), *flags, env=env)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), PROCESS_TIMEOUT_S)
        found = LINE.match(line.decode())
        assert found, line
        yield process, found
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def answers(host: str, port: int) -> bool:
    """Whether anything accepts a connection at host:port."""
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


@pytest.mark.parametrize(("extra_env", "flags"), [({}, []), (SLACK, ["--sandbox"])],
                         ids=["no-slack-settings", "sandbox-flag"])
async def test_serve_runs_the_sandbox_on_its_own_database_and_loopback(
        tmp_path: Path, extra_env: dict[str, str], flags: list[str]) -> None:
    policy = copy_examples(tmp_path)
    env = clean_environment(CHANGEGATE_HOST="0.0.0.0", CHANGEGATE_PORT="0", **extra_env)
    async with sandbox_process(policy, env, flags) as (process, found):
        base, host, port, database, page = found.groups()
        assert (host, page) == ("127.0.0.1", f"{base}/sandbox")
        assert Path(database) == tmp_path / "sandbox.db"
        assert not await answers(ELSEWHERE, int(port))  # CHANGEGATE_HOST is not the sandbox's
        async with aiohttp.ClientSession() as session:
            async with session.get(page) as response:
                assert response.status == 200
                token = page_token(await response.text())
            async with session.post(f"{page}/act", headers={TOKEN_HEADER: token}, json={
                    "as": REQUESTER, "kind": "slash", "channel": CHANNEL, "text": "new"}) as r:
                assert await r.json() == {"ok": True}  # the bot answered its signed request
            async with session.get(f"{page}/state", params={"as": REQUESTER}) as response:
                assert (await response.json())["modal"]["title"] == "Propose a change"
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT_S)
        assert process.returncode == 0, err.decode()
        assert out.decode() == "ChangeGate stopping on SIGTERM\n"
        if not extra_env:
            assert err == b""
        else:  # Bolt itself notes that it uses its client rather than SLACK_BOT_TOKEN
            assert "Traceback" not in err.decode() and "Slack refused" not in err.decode()
        assert (tmp_path / "sandbox.db").is_file()
        assert not (tmp_path / "changegate.db").exists()


async def test_the_sandbox_listens_elsewhere_only_when_told(tmp_path: Path) -> None:
    policy = copy_examples(tmp_path)
    env = clean_environment(CHANGEGATE_SANDBOX_HOST="0.0.0.0", CHANGEGATE_PORT="0")
    async with sandbox_process(policy, env, ["--sandbox"]) as (process, found):
        assert found.group(2) == "0.0.0.0"
        assert await answers(ELSEWHERE, int(found.group(3)))
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT_S)
        assert process.returncode == 0
