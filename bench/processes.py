"""Server processes for the benchmarks: started with an environment, ready once they print
their address, stopped with SIGTERM (or SIGKILL when told)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY = re.compile(rb"listening on (http://[\w.\[\]:]+)")
START_S = 60.0
STOP_S = 20.0


@dataclass
class Server:
    """A running server process and the URL it printed."""

    process: asyncio.subprocess.Process
    url: str
    log: Path
    _drain: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self) -> int:
        """SIGTERM, then SIGKILL if it has not exited in time; returns the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_S)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._stop_draining()
        return int(self.process.returncode or 0)

    async def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await self._stop_draining()

    async def _stop_draining(self) -> None:
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain


async def start(argv: Sequence[str], env: Mapping[str, str], log: Path,
                within_s: float = START_S) -> Server:
    """Run `python argv…` from the repository root; stderr goes to `log`."""
    with log.open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *argv, cwd=ROOT, env=dict(env), stdout=asyncio.subprocess.PIPE,
            stderr=err)
    assert process.stdout is not None
    try:
        async with asyncio.timeout(within_s):
            while True:
                line = await process.stdout.readline()
                if not line:
                    raise RuntimeError(f"{argv} exited before it was ready; see {log}")
                found = READY.search(line)
                if found:
                    break
    except BaseException:
        if process.returncode is None:
            process.kill()
        await process.wait()
        raise
    server = Server(process, found.group(1).decode(), log)
    server._drain = asyncio.get_running_loop().create_task(_discard(process.stdout))
    return server


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any ChangeGate or Slack setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHANGEGATE_", "SLACK_"))}
    env.update(extra)
    return env
