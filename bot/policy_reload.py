"""The policy in force, swapped whole by a reload (SIGHUP, the admin API, the file watcher).

Everything built from the policy (engine, directory, executors, Slack people) calls the holder,
so a valid new file applies to the next submission at once; in-flight changes keep the snapshot
taken at their submit. An invalid file is refused and the policy in force stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.policy import Policy, PolicyError, load_policy
from workflow.tasks import cancel

log = logging.getLogger(__name__)
WATCH_ENV = "CHANGEGATE_POLICY_WATCH_SECONDS"
WATCH_INTERVAL_S = 3.0


class PolicyRefused(Exception):
    """The file on disk is not a valid policy; `errors` name each key path and its fix."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Reloaded:
    """The outcome of a successful reload: the version now in force and the one before."""

    version: str
    previous: str

    @property
    def changed(self) -> bool:
        return self.version != self.previous


class PolicyHolder:
    """Callable as `policy()`: the policy in force in this process (each replica its own)."""

    def __init__(self, path: str | os.PathLike[str], policy: Policy) -> None:
        self.path = Path(path)
        self._policy = policy
        self._seen = file_seen(self.path)

    def __call__(self) -> Policy:
        return self._policy

    @property
    def version(self) -> str:
        """The version (sha256 of the file) this process runs."""
        return self._policy.version

    def reload(self) -> Reloaded:
        """Read the file again; a valid one is in force from now, an invalid one raises."""
        self._seen = file_seen(self.path)
        previous = self._policy.version
        try:
            policy = load_policy(self.path)
        except PolicyError as exc:
            log.error("policy reload refused, still running %s: %s", previous[:12],
                      "; ".join(exc.errors))
            raise PolicyRefused(exc.errors) from None
        self._policy = policy
        if policy.version != previous:
            log.warning("policy reloaded: %s -> %s", previous[:12], policy.version[:12])
        return Reloaded(policy.version, previous)

    def check(self) -> Reloaded | None:
        """The watcher's step: reload when the file changed since it was last read."""
        if file_seen(self.path) == self._seen:
            return None
        with contextlib.suppress(PolicyRefused):  # logged; tried again at the next change
            return self.reload()
        return None


FileSeen = tuple[int, int, str] | None


def file_seen(path: Path) -> FileSeen:
    """mtime, size and content hash: a same-second rewrite is still seen by its content."""
    try:
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, digest


def watch_interval(environ: Mapping[str, str] = os.environ) -> float:
    """How often the file is looked at (CHANGEGATE_POLICY_WATCH_SECONDS); 0 turns watching off."""
    raw = environ.get(WATCH_ENV, "").strip()
    if not raw:
        return WATCH_INTERVAL_S
    try:
        interval = float(raw)
    except ValueError:
        interval = -1.0
    if not interval >= 0:
        raise ValueError(f"{WATCH_ENV} must be a number of seconds (0 turns watching off), "
                         f"not {raw!r}")
    return interval


@contextlib.asynccontextmanager
async def reloading(holder: PolicyHolder, interval_s: float | None = None,
                    reloaded: Callable[[], Coroutine[Any, Any, object]] | None = None
                    ) -> AsyncIterator[None]:
    """While serving: reload on SIGHUP and whenever the watched file changes, then run
    `reloaded` (which tells what in-flight changes keep apart from the new file)."""
    interval_s = watch_interval() if interval_s is None else interval_s
    loop = asyncio.get_running_loop()
    told: set[asyncio.Task[object]] = set()

    def tell() -> None:
        if reloaded is not None:
            task: asyncio.Task[object] = asyncio.create_task(reloaded())
            told.add(task)
            task.add_done_callback(_after_telling)
            task.add_done_callback(told.discard)

    loop.add_signal_handler(signal.SIGHUP, _on_hangup, holder, tell)
    watcher = asyncio.create_task(_watch(holder, interval_s, tell)) if interval_s > 0 else None
    try:
        yield
    finally:
        if watcher is not None:
            await cancel(watcher)
        for task in list(told):
            await cancel(task)
        loop.remove_signal_handler(signal.SIGHUP)


def _after_telling(task: asyncio.Task[object]) -> None:
    """What went wrong telling about a reload is logged; the reload itself stands."""
    if not task.cancelled() and task.exception() is not None:
        log.error("after the policy reload: %r", task.exception())


def _on_hangup(holder: PolicyHolder, tell: Callable[[], None]) -> None:
    log.warning("SIGHUP: reloading the policy file %s", holder.path)
    with contextlib.suppress(PolicyRefused):  # logged by reload
        holder.reload()
        tell()


async def _watch(holder: PolicyHolder, interval_s: float, tell: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(interval_s)
        if holder.check() is not None:
            tell()
