"""Slack interactions seen, in this process: the reference the database table behaves like."""

from __future__ import annotations

from datetime import datetime

from storage.ports.interactions import Pruning


class MemoryInteractions:
    """A dict of keys and when each was first seen."""

    def __init__(self, seen: dict[str, datetime] | None = None) -> None:
        self._seen: dict[str, datetime] = {} if seen is None else seen  # shared with receipts
        self._pruning = Pruning()

    async def first_sight(self, key: str, now: datetime) -> bool:
        cutoff = self._pruning.cutoff(now)
        if cutoff is not None:
            for old in [k for k, at in self._seen.items() if at < cutoff]:
                del self._seen[old]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True
