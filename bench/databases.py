"""Databases for one benchmark run: a SQLite file in a directory, or a fresh PostgreSQL database
created on the server a URL names and dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@asynccontextmanager
async def fresh_postgres(server_url: str, prefix: str = "cg_bench") -> AsyncIterator[str]:
    """A new, empty database on the server of `server_url`; yields its URL, drops it at the end
    (needs the CREATEDB privilege)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def bench_database(directory: Path, postgres: str | None,
                         prefix: str = "cg_bench") -> AsyncIterator[str]:
    """The URL of the database a run uses: SQLite in `directory`, or a fresh PostgreSQL one."""
    if postgres is None:
        yield sqlite_url(directory / "changegate.db")
        return
    async with fresh_postgres(postgres, prefix) as url:
        yield url
