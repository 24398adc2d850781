"""create_database opens SQLite (creating file and directory) and PostgreSQL, or says why not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.database import DatabaseError, create_database, redact_url


async def test_sqlite_file_and_missing_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "changegate.db"

    await create_database(f"sqlite+aiosqlite:///{path}")

    assert path.is_file()


async def test_opening_twice_keeps_the_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'changegate.db'}"

    await create_database(url)
    await create_database(url)

    assert (tmp_path / "changegate.db").is_file()


async def test_unreachable_server_is_reported_without_the_password() -> None:
    with pytest.raises(DatabaseError) as caught:
        await create_database("postgresql+asyncpg://bot:s3cret@127.0.0.1:1/changegate")

    message = str(caught.value)
    assert message.startswith("cannot open database postgresql+asyncpg://bot:***@127.0.0.1:1/")
    assert "s3cret" not in message


async def test_a_synchronous_driver_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="async driver"):
        await create_database(f"sqlite:///{tmp_path / 'changegate.db'}")


def test_malformed_url_is_refused() -> None:
    with pytest.raises(DatabaseError, match="Could not parse"):
        redact_url("not a database url")


@pytest.mark.postgres
async def test_postgres_opens() -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set (.ci/run sets it to the local PostgreSQL)")

    await create_database(url)
