"""A database names itself with an id recorded the first time it is asked, kept from then on."""

from __future__ import annotations

from pathlib import Path

from storage.database import create_database, open_database
from storage.sql.database_identity import database_id
from storage.sql.engines import Database


async def test_the_id_is_recorded_once_and_kept(db: Database) -> None:
    first = await database_id(db)
    assert len(first) == 32
    assert await database_id(db) == first


async def test_a_database_created_again_has_another_id(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    ids = []
    for _ in range(2):
        (tmp_path / "sandbox.db").unlink(missing_ok=True)
        await create_database(url)
        db = await open_database(url, migrate=False)
        try:
            ids.append(await database_id(db))
        finally:
            await db.dispose()
    assert ids[0] != ids[1]
