"""Delivery rules every outbox shares: what a claim returns, backoff and dead-letter limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SIBLINGS = 10  # a claim may add this many times `limit` later messages of the same changes
MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=5)
LONGEST_DELAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed message; `attempts` counts this one."""

    id: int
    topic: str
    change_id: str | None
    payload: Mapping[str, Any]
    attempts: int


def backoff(attempts: int, first: timedelta = FIRST_DELAY, longest: timedelta = LONGEST_DELAY
            ) -> timedelta:
    """Delay before the next attempt: doubling from `first`, capped at `longest`."""
    delay: timedelta = first * 2 ** max(attempts - 1, 0)
    return min(delay, longest)
