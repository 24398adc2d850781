"""Unit of work on SQL: one connection and one transaction; leaving without commit rolls back."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.leases import lease_duration, process_owner, utc_now
from storage.sql.apply_leases import Holder
from storage.sql.audit import SqlAudit
from storage.sql.changes import SqlChanges
from storage.sql.engines import Database
from storage.sql.errors import translated
from storage.sql.outbox import SqlOutbox
from storage.sql.receipts import SqlReceipts
from workflow.ports import AuditLog, ChangeRepository, Outbox, Receipts, UnitOfWorkFactory

Now = Callable[[], datetime]


class SqlUnitOfWork:
    """The repositories of one transaction on the writer engine."""

    # Declared as the ports (attributes of a Protocol are invariant), which also makes mypy check
    # that the SQL repositories implement them.
    changes: ChangeRepository
    audit: AuditLog
    outbox: Outbox
    receipts: Receipts

    def __init__(self, db: Database, now: Now = utc_now, holder: Holder | None = None) -> None:
        self._db = db
        self._now = now
        self._holder = holder or Holder(process_owner(), lease_duration())
        self._conn: AsyncConnection | None = None
        self._held = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Self:
        held = contextlib.AsyncExitStack()  # the writer's turn, then its connection
        async with translated():
            try:
                await held.enter_async_context(self._db.turn())
                conn = await self._db.writer.connect()
                held.push_async_callback(conn.close)
                await conn.begin()
            except BaseException:
                await held.aclose()
                raise
        self._held = held
        now = self._now()
        self._conn = conn
        self.changes = SqlChanges(conn, now, self._holder)
        self.audit = SqlAudit(conn)
        self.outbox = SqlOutbox(conn, now)
        self.receipts = SqlReceipts(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await self._held.aclose()

    async def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit outside `async with` of the unit of work")
        async with translated():
            await self._conn.commit()


class SqlUnitOfWorkFactory:
    """Opens a unit of work per command over one database; `owner` names this process on the
    applies it starts (a fresh name by default)."""

    def __init__(self, db: Database, now: Now = utc_now, *, owner: str | None = None,
                 lease: timedelta | None = None) -> None:
        self.db = db
        self._now = now
        self.holder = Holder(owner or process_owner(), lease or lease_duration())

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db, self._now, self.holder)


if TYPE_CHECKING:  # mypy proves the adapter implements the engine's port
    _port: type[UnitOfWorkFactory] = SqlUnitOfWorkFactory
