"""A token bucket: bursts up to a capacity, then a steady rate (Slack's Tier 4 methods, such as
views.publish, allow about a hundred calls a minute)."""

from __future__ import annotations

import time
from collections.abc import Callable

EPSILON = 1e-9  # a call's worth short by less than this counts as a call (float rounding)


class Budget:
    """`capacity` calls at once, refilled at `per_s` calls a second."""

    def __init__(self, capacity: float, per_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = capacity
        self._per_s = per_s
        self._clock = clock
        self._tokens = capacity
        self._at = clock()

    def take(self) -> bool:
        """Spend one call if the budget has one now."""
        self._refill()
        if self._tokens >= 1 - EPSILON:
            self._tokens -= 1
            return True
        return False

    def wait_s(self) -> float:
        """Seconds until one call is available."""
        self._refill()
        if self._tokens >= 1 - EPSILON:
            return 0.0
        return (1 - self._tokens) / self._per_s

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._per_s)
        self._at = now
