"""One migrated database per module and backend, shared by the repetitions of a race."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from storage.sql.engines import Database
from tests.support.databases import SQL_BACKENDS, fresh_database


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=SQL_BACKENDS)
async def shared_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """Each repetition works on changes of its own, so they can share one database."""
    async with fresh_database(request.param, tmp_path_factory.mktemp("db")) as db:
        yield db
