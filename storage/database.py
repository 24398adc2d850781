"""Opening the database named by a SQLAlchemy URL: a SQLite file and its directory are created,
and the schema is brought to the newest migration."""

from __future__ import annotations

from pathlib import Path

from alembic.util import CommandError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from storage.errors import StorageError
from storage.migrate import upgrade
from storage.sql.engines import Database, UnsupportedDatabase, open_engines
from storage.sql.errors import failure_reason


class DatabaseError(StorageError):
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
    """Create the database if missing and run every pending migration (`upgrade head`)."""
    parsed = parse_url(url)
    try:
        _create_sqlite_directory(parsed)
        await upgrade(parsed)
    except CommandError as exc:
        raise DatabaseError(
            f"cannot migrate database {redact_url(url)}: {exc}; is it from a newer ChangeGate?"
        ) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise DatabaseError(f"cannot open database {redact_url(url)}: {failure_reason(exc)}"
                            ) from exc


async def open_database(url: str, *, migrate: bool = True) -> Database:
    """The writer and reader engines of a database, migrated to the newest schema first.

    With `migrate=False` (tools that only read) a missing SQLite file is an error rather than
    a new empty database.
    """
    parsed = parse_url(url)
    path = _sqlite_file(parsed)
    if migrate:
        await create_database(url)
    elif path is not None and not path.is_file():
        raise DatabaseError(
            f"database {redact_url(url)} does not exist: run `changegate db upgrade` first"
        )
    try:
        return open_engines(parsed)
    except UnsupportedDatabase as exc:
        raise DatabaseError(f"cannot open database {redact_url(url)}: {exc}") from None


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases, :memory: and URI filenames."""
    return _sqlite_file(parse_url(url))


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other databases, :memory: and URI filenames."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a URI filename: SQLite resolves it itself
        return None
    return Path(database)


def _create_sqlite_directory(url: URL) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
