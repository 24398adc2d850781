"""Slack's rate limits in the fake Slack (opt-in): a call over its method's limit is answered 429
with Retry-After, and a call that comes back before that Retry-After is noted as a violation."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.slack.outbound.budget import Budget
from bot.slack.outbound.limits import limits_of


@dataclass(frozen=True, slots=True)
class Refusal:
    """One 429: the limit's key, when (the fake's clock) and the Retry-After it carried."""

    method: str
    key: str
    at: float
    retry_after: int


@dataclass
class RateLimits:
    """Token buckets per limit key (bot/slack/outbound/limits.py), on the fake's clock."""

    clock: Callable[[], float]
    refusals: list[Refusal] = field(default_factory=list)
    early: list[Refusal] = field(default_factory=list)  # calls made before their Retry-After
    admitted: int = 0
    _buckets: dict[tuple[str, str], Budget] = field(default_factory=dict)
    _until: dict[tuple[str, str], float] = field(default_factory=dict)

    def admit(self, method: str, channel: str | None) -> int | None:
        """Count a call; None when it may proceed, else the Retry-After seconds to answer."""
        now = self.clock()
        limits = limits_of(method, channel)
        for key, _ in limits:
            until = self._until.get(key, 0.0)
            if now < until:  # told to wait and came back early
                refusal = Refusal(method, key[1], now, max(1, math.ceil(until - now)))
                self.early.append(refusal)
                self.refusals.append(refusal)
                return refusal.retry_after
        buckets = [self._bucket(key, limit.burst, limit.per_s) for key, limit in limits]
        waits = [bucket.wait_s() for bucket in buckets]
        if any(waits):
            key = limits[waits.index(max(waits))][0]
            retry_after = max(1, math.ceil(max(waits)))
            self._until[key] = now + retry_after
            self.refusals.append(Refusal(method, key[1], now, retry_after))
            return retry_after
        for bucket in buckets:
            bucket.take()
        self.admitted += 1
        return None

    def _bucket(self, key: tuple[str, str], burst: int, per_s: float) -> Budget:
        if key not in self._buckets:
            self._buckets[key] = Budget(burst, per_s, self.clock)
        return self._buckets[key]
