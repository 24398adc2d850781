"""Fixtures of the API tests: the API on a real server over each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.harness import ApiWorld, running_api
from tests.support.backends import BACKENDS


@pytest.fixture(params=BACKENDS)
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ApiWorld]:
    """The API over memory, SQLite and PostgreSQL; pipelines report their own applies."""
    async with running_api(request.param, tmp_path) as world:
        yield world


@pytest.fixture
async def sqlite_api(tmp_path: Path) -> AsyncIterator[ApiWorld]:
    """The API over SQLite only, for checks that need not repeat on every backend."""
    async with running_api("sqlite", tmp_path) as world:
        yield world
