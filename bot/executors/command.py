"""The `command` executor: a local program from an argv list, never a shell, JSON on stdin."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass

from bot.executors.capture import Captured, capture
from bot.executors.change_payload import Mode, change_payload, encode
from bot.executors.errors import (
    DryRunFailed,
    ExecutorError,
    ExecutorTimeout,
    ExecutorUnavailable,
)
from bot.executors.program_text import program_name, without_paths
from workflow.durations import format_duration
from workflow.executor_spec import CommandSpec
from workflow.model import ApplyStatus, ChangeRequest
from workflow.ports import ApplyResult

STDERR_LIMIT = 64 * 1024
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
DRAIN_S = 5.0  # after a kill, how long the pipes may take to close
ABORT_GRACE_S = 10.0  # after SIGTERM on an abort, how long before SIGKILL


@dataclass(frozen=True, slots=True)
class Finished:
    """A run that ended by itself."""

    code: int
    stdout: Captured
    stderr: Captured


class CommandExecutor:
    """Runs the program once per call; exit 0 means success, a timeout kills its process group,
    an abort terminates it (SIGTERM, then SIGKILL after a grace)."""

    def __init__(self, spec: CommandSpec, environ: Mapping[str, str] | None = None, *,
                 abort_grace_s: float = ABORT_GRACE_S) -> None:
        self._spec = spec
        self._environ = os.environ if environ is None else environ
        self._grace_s = abort_grace_s
        self._running: dict[str, asyncio.subprocess.Process] = {}
        self._aborted: set[str] = set()
        self._killed: set[str] = set()  # aborts the program outlived: it never said how it ended

    def cannot_abort(self, change: ChangeRequest) -> str | None:
        """A local program can always be stopped."""
        return None

    async def abort(self, change: ChangeRequest, key: str) -> None:
        """Terminate the apply's process group; once the program has ended, or the grace has
        passed, kill whatever of the group is left."""
        process = self._running.get(key)
        if process is None or key in self._aborted:
            return
        self._aborted.add(key)
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._grace_s):
                await process.wait()
        if process.returncode is None:
            self._killed.add(key)
        _signal_group(process, signal.SIGKILL)

    async def dry_run(self, change: ChangeRequest) -> str:
        """The program's standard output; a non-zero exit refuses the dry-run."""
        done = await self._run(change, "dry_run", None)
        if done.code != 0:
            raise DryRunFailed(f"the dry-run of {change.id} by {self._describe()} "
                               f"{_exit(done.code)}{self._stderr(done)}")
        return done.stdout.text()

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult:
        """Exit 0 is applied, another exit code failed; a kill or a timeout raises (unknown),
        and an abort the program outlived until SIGKILL is unknown too: it never said."""
        try:
            done = await self._run(change, "apply", key)
        except ExecutorUnavailable as missing:
            return ApplyResult(ApplyStatus.FAILED, f"not applied: {missing.message}")
        finally:
            self._running.pop(key, None)
            aborted = key in self._aborted
            killed = key in self._killed
            self._aborted.discard(key)
            self._killed.discard(key)
        if killed and done.code == -signal.SIGKILL:
            return ApplyResult(ApplyStatus.UNKNOWN, done.stdout.text()
                               + f"\n[aborted: still running {self._grace_s:g}s after SIGTERM, "
                               f"so it was killed: the outcome is unknown]{self._stderr(done)}")
        if aborted and done.code != 0:
            return ApplyResult(ApplyStatus.FAILED, done.stdout.text()
                               + f"\n[aborted: {_exit(done.code)}]{self._stderr(done)}")
        if done.code < 0:
            raise ExecutorError(f"{self._describe()} {_exit(done.code)}: the outcome is unknown")
        status = ApplyStatus.APPLIED if done.code == 0 else ApplyStatus.FAILED
        output = done.stdout.text()
        if done.code != 0:
            output += f"\n[{_exit(done.code)}]{self._stderr(done)}"
        return ApplyResult(status, output)

    def _describe(self) -> str:
        return f"executor {self._spec.name} ({program_name(self._spec.argv)})"

    def _stderr(self, done: Finished) -> str:
        """The end of what the program wrote to stderr, as shown to people."""
        text = without_paths(done.stderr.text().strip(), self._spec.argv)
        return f"\n--- stderr ---\n{text}" if text else ""

    def _env(self, change: ChangeRequest, mode: Mode, key: str | None) -> dict[str, str]:
        """Only a few basics and the names listed in pass_env: the bot's secrets stay here."""
        names = (*BASE_ENV, *self._spec.pass_env)
        env = {name: self._environ[name] for name in names if name in self._environ}
        env.update(CHANGEGATE_CHANGE=change.id, CHANGEGATE_REVISION=str(change.revision),
                   CHANGEGATE_MODE=mode)
        if key is not None:
            env["CHANGEGATE_IDEMPOTENCY_KEY"] = key
        return env

    async def _run(self, change: ChangeRequest, mode: Mode, key: str | None) -> Finished:
        body = encode(change_payload(change, mode, key))
        try:
            process = await asyncio.create_subprocess_exec(
                *self._spec.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self._env(change, mode, key),
                start_new_session=True,
            )
        except OSError as error:
            raise ExecutorUnavailable(
                f"{self._describe()} could not be started: {error.strerror or error}"
            ) from None
        assert process.stdin and process.stdout and process.stderr
        if key is not None and mode == "apply":
            self._running[key] = process
        try:
            async with asyncio.timeout(self._spec.timeout.total_seconds()):
                stdout, stderr, _ = await asyncio.gather(
                    capture(process.stdout, self._spec.max_output),
                    capture(process.stderr, STDERR_LIMIT, tail=True),
                    _feed(process.stdin, body),
                )
                code = await process.wait()
        except TimeoutError:
            await _kill(process)
            raise ExecutorTimeout(
                f"{self._describe()} did not finish within {format_duration(self._spec.timeout)} "
                "and was killed: the outcome is unknown"
            ) from None
        except BaseException:
            await _kill(process)
            raise
        return Finished(code, stdout, stderr)


async def _feed(stdin: asyncio.StreamWriter, body: bytes) -> None:
    """Write the change and close stdin; a program that never reads it is not an error."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(body)
        await stdin.drain()
    stdin.close()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        await stdin.wait_closed()


def _signal_group(process: asyncio.subprocess.Process, signum: signal.Signals) -> None:
    """Signal the program and everything it started (its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


async def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the program and everything it started, then let its pipes close."""
    _signal_group(process, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_S):
            await process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    await stream.read()


def _exit(code: int) -> str:
    if code < 0:
        return f"was terminated by signal {-code}"
    return f"exited with code {code}"
