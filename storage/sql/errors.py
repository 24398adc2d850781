"""Database errors translated at the adapters' edge: retry, busy, a key clash, or StorageError."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.errors import StorageError
from workflow.errors import Busy, ConcurrencyConflict

UNIQUE_SQLSTATE = "23505"
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock wait
SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


class UniqueViolation(StorageError):
    """A UNIQUE or PRIMARY KEY clash: the adapter that wrote the row says what it means."""


def failure_reason(exc: BaseException) -> BaseException:
    """The driver's own error behind a database library error: it says what went wrong."""
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


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
    """Turn lost lock races into ConcurrencyConflict, a saturated writer into Busy, a key clash
    into UniqueViolation and any other database failure into StorageError.

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
        if is_unique_violation(exc):
            raise UniqueViolation(str(failure_reason(exc))) from exc
        raise StorageError(str(failure_reason(exc))) from exc
    except SQLAlchemyError as exc:
        raise StorageError(str(exc)) from exc
