"""The wall clock the running process uses; tests pass their own."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Timezone-aware UTC now, as the engine's Clock port expects."""

    def now(self) -> datetime:
        return datetime.now(UTC)
