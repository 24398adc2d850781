"""Fixtures of the Slack tests: a running bot against a fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.slack.harness import Harness, running_bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot in HTTP mode."""
    async with running_bot(tmp_path) as harness:
        yield harness
