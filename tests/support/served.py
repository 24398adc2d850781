"""`changegate` as its users run it: commands as processes, and `changegate serve` on an
ephemeral port over a SQLite file, for the CLI and schemathesis tests."""

from __future__ import annotations

import asyncio
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = ROOT / "examples" / "changegate.yaml"
PROCESS_TIMEOUT_S = 60.0
LISTENING = re.compile(r"ChangeGate listening on (http://127\.0\.0\.1:\d+) ")


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any ChangeGate or Slack setting, plus `extra`; the
    repository is on the module path, so commands may run in any directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHANGEGATE_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


@dataclass(frozen=True)
class Ran:
    """A finished command: exit code, stdout and stderr."""

    code: int
    out: str
    err: str


async def start_cli(*args: str, env: Mapping[str, str], stdin: int | None = None,
                    stderr: int | IO[bytes] = asyncio.subprocess.PIPE,
                    cwd: Path = ROOT) -> asyncio.subprocess.Process:
    """`python -m bot.cli ARGS…` running in the background."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=cwd, env=dict(env), stdin=stdin,
        stdout=asyncio.subprocess.PIPE, stderr=stderr)


async def finish(process: asyncio.subprocess.Process, stdin: bytes | None = None) -> Ran:
    """Wait for a started command (bounded) and collect what it printed."""
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), PROCESS_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), (err or b"").decode())


async def run_cli(*args: str, env: Mapping[str, str], stdin: bytes | None = None,
                  cwd: Path = ROOT) -> Ran:
    """`python -m bot.cli ARGS…` to completion."""
    process = await start_cli(*args, env=env, cwd=cwd,
                              stdin=asyncio.subprocess.PIPE if stdin is not None else None)
    return await finish(process, stdin)


@dataclass
class Served:
    """A running `changegate serve`: its address, its policy file and the environment of the
    operator commands (`token`, `audit`) that share its database."""

    url: str
    policy: Path
    database: Path
    env: dict[str, str]
    log: Path
    pid: int = 0  # the serve process's

    def operator_args(self) -> tuple[str, ...]:
        return ("--policy", str(self.policy))

    def token(self, user: str, scopes: str = "read,submit,review,apply",
              name: str | None = None) -> str:
        """`changegate token create`; stdout is the bearer value alone."""
        ran = subprocess.run(
            [sys.executable, "-m", "bot.cli", "token", "create", "--user", user,
             "--name", name or user.lower(), "--scopes", scopes, *self.operator_args()],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
            check=False)
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.strip()

    def client_env(self, token: str) -> dict[str, str]:
        """The environment of a pipeline calling this server with `token`."""
        return clean_environment(CHANGEGATE_URL=self.url, CHANGEGATE_TOKEN=token)


@contextmanager
def serving(directory: Path, policy_source: Path = EXAMPLE_POLICY) -> Iterator[Served]:
    """`changegate serve --sandbox` on 127.0.0.1 and a free port until the block ends (then
    SIGTERM)."""
    policy = directory / "changegate.yaml"
    shutil.copyfile(policy_source, policy)
    database = directory / "changegate.db"
    env = clean_environment(CHANGEGATE_HOST="127.0.0.1", CHANGEGATE_PORT="0",
                            CHANGEGATE_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    log = directory / "serve.log"
    with open(log, "wb") as log_file:  # a file, not a pipe: a full pipe would stall the server
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--sandbox", "--policy", str(policy)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file)
    try:
        url = _listening_url(process, log)
        yield Served(url, policy, database, env, log, process.pid)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=PROCESS_TIMEOUT_S)
        assert process.returncode == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _listening_url(process: subprocess.Popen[bytes], log: Path) -> str:
    """The address from serve's first line, waiting a bounded time for it."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(PROCESS_TIMEOUT_S):
            raise AssertionError(f"serve printed nothing in {PROCESS_TIMEOUT_S}s: "
                                 f"{log.read_text()}")
    line = process.stdout.readline().decode()
    found = LISTENING.match(line)
    assert found, f"{line!r}; log: {log.read_text()}"
    return found.group(1)
