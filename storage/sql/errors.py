"""Database errors translated into what the engine understands: retry, duplicate, busy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from workflow.errors import Busy, ConcurrencyConflict

UNIQUE_SQLSTATE = "23505"
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock wait
SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_unique_violation(exc: DBAPIError) -> bool:
    """A UNIQUE or PRIMARY KEY violation, on PostgreSQL or SQLite."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == UNIQUE_SQLSTATE)
    return getattr(exc.orig, "sqlite_errorname", None) in SQLITE_UNIQUE


def is_retryable(exc: DBAPIError) -> bool:
    """Lost a race for a lock: another attempt from a fresh read will do."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRY_SQLSTATES
    name = getattr(exc.orig, "sqlite_errorname", None) or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


@asynccontextmanager
async def translated(change_id: str | None = None) -> AsyncIterator[None]:
    """Turn lost lock races into ConcurrencyConflict and a saturated writer into Busy.

    "database is locked" must never reach a person: the engine retries a conflict from a fresh
    read, and after its last attempt tells the person to try again.
    """
    try:
        yield
    except PoolTimeout:
        raise Busy("the database is busy with other changes: try again in a moment") from None
    except DBAPIError as exc:
        if is_retryable(exc):
            raise ConcurrencyConflict(change_id or "database") from exc
        raise
