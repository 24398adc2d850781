"""Slack interactions already acted on: a replayed request is recognised on every replica."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

# Slack's signature accepts a request whose timestamp is within five minutes of the receiver's
# clock, before or after: a key must outlive ten minutes from its first sight; the rest is margin
# for clocks of replicas that disagree.
KEEP = timedelta(minutes=15)
PRUNE_EVERY = timedelta(minutes=1)


class SeenInteractions(Protocol):
    """Keys of interactions (who made which gesture) seen within KEEP."""

    async def first_sight(self, key: str, now: datetime) -> bool:
        """Record `key`; False when it was recorded before (a replay). Keys older than KEEP
        are pruned now and then."""
        ...


class Pruning:
    """When an adapter next drops keys older than KEEP: at most once per PRUNE_EVERY."""

    def __init__(self) -> None:
        self._next: datetime | None = None

    def cutoff(self, now: datetime) -> datetime | None:
        """The time before which keys go, if a prune is due now."""
        if self._next is not None and now < self._next:
            return None
        self._next = now + PRUNE_EVERY
        return now - KEEP
