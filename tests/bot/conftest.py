"""Fixtures shared by the bot tests: the repository's example policy and a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = ROOT / "examples" / "changegate.yaml"
VARIABLES = (
    "CHANGEGATE_POLICY",
    "CHANGEGATE_DATABASE_URL",
    "CHANGEGATE_HOST",
    "CHANGEGATE_PORT",
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "CHANGEGATE_ROLE",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from the developer's shell must not leak into the tests."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def example_policy() -> Path:
    return EXAMPLE_POLICY
