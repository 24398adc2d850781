"""One serving process per SQLite file: an OS lock held for the process's life, so a second
`serve` refuses to start instead of taking the first one's running applies for interrupted."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.database import DatabaseError, sqlite_path

SUFFIX = ".serve-lock"


def lock_path(database: Path) -> Path:
    """The lock file beside the database (`changegate.db.serve-lock`)."""
    return database.with_name(database.name + SUFFIX)


@contextmanager
def serving(url: str) -> Iterator[None]:
    """Hold the SQLite file's serve lock until the block ends (the OS drops it with a process
    that dies); PostgreSQL, which replicas share, takes no lock."""
    database = sqlite_path(url)
    if database is None:
        yield
        return
    path = lock_path(database.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseError(_taken(database.resolve(), path, _holder(fd))) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str | None:
    """The pid the serving process wrote into the lock file, if it did."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return text if text.isdigit() else None


def _taken(database: Path, path: Path, pid: str | None) -> str:
    who = f"process {pid}" if pid else "another process"
    return (f"database {database} is already served by {who} (it holds {path}): SQLite means "
            "one process; stop that one first, or use PostgreSQL to run several replicas")
