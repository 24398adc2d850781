"""Fixtures of the sandbox tests: a served sandbox on the example files, in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.serve import RunningSandbox
from tests.sandbox.support import serve_sandbox


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[RunningSandbox]:
    """examples/sandbox.yaml served on a free port, with a SQLite database in tmp_path."""
    async with serve_sandbox(tmp_path) as running:
        yield running
