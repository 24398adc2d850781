"""The times ChangeGate takes from people and pipelines: aware, and in the years 2000 to 2999 UTC.

A time outside the range is refused, never clamped: `0001-01-01T00:00:00+14:00` cannot be
expressed in UTC at all, and moving it to the nearest bound would make a schedule "long past"
and apply a change at once.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)  # the first moment refused
TIME_RANGE = "in the years 2000 to 2999 (UTC)"


def within_range(value: datetime) -> datetime | None:
    """An aware `value` as UTC when it lies in the range; None when it does not, or cannot be
    expressed in UTC."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return None
    return utc if EARLIEST <= utc < LATEST else None


def from_timestamp(seconds: float) -> datetime | None:
    """A Unix time (Slack's datetimepicker value) as UTC when it lies in the range; else None."""
    if not math.isfinite(seconds) or not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        return None
    return datetime.fromtimestamp(seconds, UTC)
