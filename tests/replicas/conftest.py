"""Replica tests run real `changegate serve` processes on a PostgreSQL database of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bench.databases import fresh_postgres
from tests.support.databases import postgres_url


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A new database on the TEST_DATABASE_URL server, dropped afterwards."""
    async with fresh_postgres(postgres_url(), "cg_replicas") as url:
        yield url
