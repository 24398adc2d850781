"""A clock tests move by hand: no sleeping for timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class TestClock:
    """Starts at a fixed instant and moves only when told."""

    __test__ = False

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when
