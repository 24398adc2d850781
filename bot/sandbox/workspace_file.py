"""The sandbox's workspace file: what its fake Slack showed, kept across restarts.

Messages with their threads, blocks and ts, ephemeral replies, modals and Home tabs, and the
counters that number ts, view ids, trigger ids and response URLs, in a SQLite file of the sandbox's
own beside its database (`sandbox-slack.db` beside `sandbox.db`). A restarted sandbox shows the
channels as they were, the bot's stored cards (channel and ts) still name their messages, and no
id is issued twice: a view id is the idempotency key of the change its form proposes.

Its own file rather than tables of the database: it is the sandbox's alone, so production's
schema, its migrations and a PostgreSQL database carry nothing of it, and the bot (which never
imports a database library) keeps it with the standard library's sqlite3. The file records the
database's id (storage/sql/database_identity.py); when the database is another one (deleted to
start over, then created again), the channels start empty and the counters go on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from bot.sandbox.fakeslack.state import HANDLES, SERIAL, Ephemeral, Kept, Message, ViewRecord
from storage.database import open_database, sqlite_path
from storage.sql.database_identity import database_id

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEMA = 1  # PRAGMA user_version of a file this code writes
WORKSPACE_FILE = "sandbox-slack.db"
SLACK_EPOCH = 1_790_000_000  # a fake ts is this plus its number (bot/sandbox/fakeslack/state.py)
TABLES = (
    "CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS messages (channel TEXT NOT NULL, ts TEXT NOT NULL, "
    "body TEXT NOT NULL, PRIMARY KEY (channel, ts))",
    "CREATE TABLE IF NOT EXISTS ephemerals (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS views (id TEXT PRIMARY KEY, home INTEGER NOT NULL, "
    "body TEXT NOT NULL)",
)
SHOWN = ("messages", "ephemerals", "views")


class WorkspaceFileError(Exception):
    """The file cannot be used; the message names it and says what to do."""


def workspace_path(database_url: str, policy_path: Path) -> Path:
    """`<database name>-slack.db` beside a SQLite database (`sandbox-slack.db` by default), or
    `sandbox-slack.db` beside the policy file when the database is not a SQLite file."""
    database = sqlite_path(database_url)
    if database is None:
        return policy_path.with_name(WORKSPACE_FILE)
    return database.with_name(f"{database.stem}-slack.db")


async def open_workspace_file(database_url: str, policy_path: Path) -> WorkspaceFile:
    """The workspace file of the sandbox served on this database (which must exist)."""
    db = await open_database(database_url, migrate=False)
    try:
        identity = await database_id(db)
    finally:
        await db.dispose()
    return WorkspaceFile.open(workspace_path(database_url, policy_path), identity)


class WorkspaceFile:
    """A SlackStore (bot/sandbox/fakeslack/state.py) in SQLite: every change is written as it
    happens, each in its own short transaction, so a stop at any moment keeps what was shown."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, database: str, *, now: Callable[[], float] = time.time
             ) -> WorkspaceFile:
        """Open (or create) the file for the database whose id is `database`."""
        try:
            connection = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise WorkspaceFileError(f"cannot open the sandbox workspace file {path}: {exc}"
                                     ) from None
        try:
            kept = cls(connection, path)
            kept._prepare(database, now)
        except sqlite3.Error as exc:
            connection.close()
            raise WorkspaceFileError(
                f"cannot use the sandbox workspace file {path}: {exc}; delete it to start "
                "the sandbox with empty channels") from None
        except WorkspaceFileError:
            connection.close()
            raise
        return kept

    def _prepare(self, database: str, now: Callable[[], float]) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA:
            raise WorkspaceFileError(
                f"the sandbox workspace file {self.path} was written by a newer ChangeGate "
                f"(schema {version}, this one knows {SCHEMA}); delete it to start the sandbox "
                "with empty channels")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        with self._transaction():
            for statement in TABLES:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA}")
            before = self._fact("database")
            if before is not None and before != database:
                dropped = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                              for t in SHOWN)
                for table in SHOWN:
                    db.execute(f"DELETE FROM {table}")
                if dropped:
                    log.warning("sandbox workspace file %s was kept for another database: its "
                                "channels start empty (its ids go on)", self.path)
            db.execute("INSERT INTO facts (name, value) VALUES ('database', ?) ON CONFLICT "
                       "(name) DO UPDATE SET value = excluded.value", (database,))
            # a new file's numbers start at today's seconds past the fake's epoch (a ts reads
            # as today): past any number an earlier run without this file issued from 1 on
            start = max(0, int(now()) - SLACK_EPOCH)
            for counter in (SERIAL, HANDLES):
                db.execute("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) "
                           "DO NOTHING", (counter, start))

    def _fact(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM facts WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction around the block: committed when it ends, rolled back if it raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- SlackStore ----------------------------------------------------------------------

    def load(self) -> Kept:
        db = self._db
        return Kept(
            counters={str(n): int(v) for n, v in db.execute("SELECT name, value FROM counters")},
            messages=[_build(Message, body) for (body,) in db.execute(
                "SELECT body FROM messages ORDER BY rowid")],
            ephemerals=[_build(Ephemeral, body) for (body,) in db.execute(
                "SELECT body FROM ephemerals ORDER BY id")],
            views=[_build(ViewRecord, body) for (body,) in db.execute(
                "SELECT body FROM views WHERE home = 0 ORDER BY rowid")],
            homes=[_build(ViewRecord, body) for (body,) in db.execute(
                "SELECT body FROM views WHERE home = 1 ORDER BY rowid")],
        )

    def counter(self, name: str, value: int) -> None:
        self._write("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) "
                    "DO UPDATE SET value = max(value, excluded.value)", (name, value))

    def message(self, message: Message) -> None:
        self._write("INSERT INTO messages (channel, ts, body) VALUES (?, ?, ?) ON CONFLICT "
                    "(channel, ts) DO UPDATE SET body = excluded.body",
                    (message.channel, message.ts, _json(message)))

    def message_deleted(self, channel: str, ts: str) -> None:
        self._write("DELETE FROM messages WHERE channel = ? AND ts = ?", (channel, ts))

    def ephemeral(self, ephemeral: Ephemeral) -> None:
        self._write("INSERT INTO ephemerals (body) VALUES (?)", (_json(ephemeral),))

    def view(self, record: ViewRecord, *, home: bool) -> None:
        self._write("INSERT INTO views (id, home, body) VALUES (?, ?, ?) ON CONFLICT (id) "
                    "DO UPDATE SET home = excluded.home, body = excluded.body",
                    (record.id, int(home), _json(record)))

    def close(self) -> None:
        self._db.close()

    def _write(self, statement: str, parameters: tuple[Any, ...]) -> None:
        """One change, committed at once; a failure is logged, and the sandbox goes on with
        what it shows now (only a restart would miss it)."""
        try:
            self._db.execute(statement, parameters)
        except sqlite3.Error as exc:
            log.error("sandbox workspace file %s: cannot keep a change: %s", self.path, exc)


def _json(value: Any) -> str:
    return json.dumps(asdict(value), separators=(",", ":"))


def _build(kind: type[T], body: str) -> T:
    """A dataclass from its JSON; keys it does not have (any more) are left out."""
    data = json.loads(body)
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in data.items() if k in names})
