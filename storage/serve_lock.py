"""One serving process per SQLite file: an OS lock held for the process's life, so a second
`serve` refuses to start instead of taking the first one's running applies for interrupted.
Run apart (`serve --role web|relay`), the web process and the relay process each hold their own
lock: one of each may share a file, never two of either."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from storage.database import DatabaseError, sqlite_path

SUFFIX = ".serve-lock"  # held by the process serving requests, the API and the timers
RELAY_SUFFIX = ".relay-lock"  # held by the process delivering the outbox to Slack


class AlreadyServed(DatabaseError):
    """Another process holds the lock: the message names the file and that process."""


def lock_path(database: Path, suffix: str = SUFFIX) -> Path:
    """A lock file beside the database (`changegate.db.serve-lock`, `….relay-lock`)."""
    return database.with_name(database.name + suffix)


@contextmanager
def serving(url: str, *, web: bool = True, relay: bool = True) -> Iterator[None]:
    """Hold the SQLite file's locks of what this process runs until the block ends (the OS
    drops them with a process that dies): the serve lock for the web part (Slack's requests,
    the API, the timers, which settle interrupted applies), the relay lock for the outbox
    relay. `serve --role all` takes both, so one web and one relay process may share a file,
    never two of either. PostgreSQL, which replicas share, takes no lock."""
    database = sqlite_path(url)
    if database is None:
        yield
        return
    with ExitStack() as held:
        if web:
            held.enter_context(_locked(database.resolve(), SUFFIX))
        if relay:
            held.enter_context(_locked(database.resolve(), RELAY_SUFFIX))
        yield


@contextmanager
def _locked(database: Path, suffix: str) -> Iterator[None]:
    path = lock_path(database, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyServed(_taken(database, path, _holder(fd), suffix)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str | None:
    """The pid the serving process wrote into the lock file, if it did."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return text if text.isdigit() else None


def _taken(database: Path, path: Path, pid: str | None, suffix: str) -> str:
    who = f"process {pid}" if pid else "another process"
    if suffix == RELAY_SUFFIX:
        return (f"database {database} is already relayed to Slack by {who} (it holds {path}): "
                "SQLite means one relay process; stop that one first, or use PostgreSQL to "
                "run several replicas")
    return (f"database {database} is already served by {who} (it holds {path}): SQLite means "
            "one process; stop that one first, or use PostgreSQL to run several replicas")
