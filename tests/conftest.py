"""Shared fixtures: a scenario world per storage backend; the closing line on skipped tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from hypothesis import settings

from tests.support.backends import BACKENDS, Backend, open_backend
from tests.support.skip_summary import pytest_unconfigure  # noqa: F401  (the closing skip line)
from tests.support.world import World

# In CI every generated example is chosen from a fixed seed, so a run passes or fails the same
# way each time; a local run explores new examples (and keeps what failed) on every run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Backend]:
    """Every storage backend the engine must behave the same on."""
    async with open_backend(request.param, tmp_path_factory.mktemp("db")) as opened:
        yield opened


@pytest.fixture
def world(backend: Backend) -> World:
    """The real engine over one backend, with the scenario policy and a test clock."""
    return World(uow=backend.uow)
