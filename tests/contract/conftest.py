"""The store every contract suite runs over: memory, SQLite, then PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.backends import BACKENDS
from tests.support.ports import Ports, open_ports


@pytest.fixture(params=BACKENDS)
async def ports(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Ports]:
    async with open_ports(request.param, tmp_path) as opened:
        yield opened
