"""Shared fixtures: a scenario world per storage backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.backends import BACKENDS, Backend, open_backend
from tests.support.world import World


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
