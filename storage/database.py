"""Opening the database named by a SQLAlchemy URL; a SQLite file and its directory are created."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine


class DatabaseError(Exception):
    """The database URL is malformed or the database cannot be opened; the message says why."""


def parse_url(url: str) -> URL:
    """Parse a SQLAlchemy URL such as `sqlite+aiosqlite:///changegate.db`."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"{exc}; expected e.g. sqlite+aiosqlite:///path/to/changegate.db"
        ) from None


def redact_url(url: str) -> str:
    """The URL with its password masked, safe to print and log."""
    return parse_url(url).render_as_string(hide_password=True)


async def create_database(url: str) -> None:
    """Make sure the database can be opened, creating a SQLite file and its directory if missing."""
    parsed = parse_url(url)
    try:
        _create_sqlite_directory(parsed)
        engine = create_async_engine(parsed)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()
    except (SQLAlchemyError, OSError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise DatabaseError(f"cannot open database {redact_url(url)}: {reason}") from exc


def _create_sqlite_directory(url: URL) -> None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # a URI filename: SQLite resolves it itself
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)
