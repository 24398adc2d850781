"""The supported years hold for ISO times and Unix times alike; nothing is clamped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from workflow.time_range import EARLIEST, LATEST, from_timestamp, within_range


def test_times_inside_come_back_as_utc() -> None:
    berlin = timezone(timedelta(hours=1))

    assert within_range(datetime(2026, 12, 1, 23, tzinfo=berlin)) == datetime(
        2026, 12, 1, 22, tzinfo=UTC)
    assert within_range(EARLIEST) == EARLIEST
    assert within_range(LATEST - timedelta(microseconds=1)) == LATEST - timedelta(microseconds=1)


@pytest.mark.parametrize("value", [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),  # before year 1 in UTC
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),  # after 9999
    EARLIEST - timedelta(microseconds=1),
    LATEST,
])
def test_times_outside_are_refused_not_clamped(value: datetime) -> None:
    assert within_range(value) is None


@pytest.mark.parametrize(("seconds", "expected"), [
    (EARLIEST.timestamp(), EARLIEST),
    (1_796_162_400, datetime(2026, 12, 1, 22, tzinfo=UTC)),
    (LATEST.timestamp(), None),
    (10**12, None),
    (-(10**12), None),
    (float("nan"), None),
    (float("inf"), None),
])
def test_unix_times(seconds: float, expected: datetime | None) -> None:
    assert from_timestamp(seconds) == expected
