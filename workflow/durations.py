"""Durations in the compact form people write in policy files and read in messages."""

from __future__ import annotations

import re
from datetime import timedelta

EXPECTED_FORM = "a whole number with a unit (s, m, h or d), like 45s, 30m, 72h, 2d or 1h30m"

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
_PATTERN = re.compile(r"(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?")


def parse_duration(text: str) -> timedelta:
    """Parse `1h30m`-style text; a bare number is refused because its unit would be a guess."""
    if not isinstance(text, str):
        raise ValueError(f"invalid duration {text!r}: expected {EXPECTED_FORM}")
    stripped = text.strip()
    if stripped.isdigit():
        raise ValueError(f"duration {text!r} has no unit: expected {EXPECTED_FORM}")
    found = _PATTERN.fullmatch(stripped)
    if not stripped or found is None:
        raise ValueError(f"invalid duration {text!r}: expected {EXPECTED_FORM}")
    seconds = sum(
        int(amount) * size
        for amount, (_, size) in zip(found.groups(), _UNITS, strict=True)
        if amount
    )
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"duration {text!r} is too long: expected {EXPECTED_FORM}") from None


def format_duration(value: timedelta) -> str:
    """Render compactly (`31m`, `1h30m`, `30m01s`); parts of a second round up, so an age over a
    limit never reads as equal to it."""
    if value < timedelta(0):
        return "-" + format_duration(-value)
    remaining = value.days * 86_400 + value.seconds + (1 if value.microseconds else 0)
    amounts = []
    for unit, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        amounts.append((unit, amount))
    shown = [i for i, (_, amount) in enumerate(amounts) if amount]
    if not shown:
        return "0s"
    first, last = shown[0], shown[-1]
    parts = [f"{amounts[first][1]}{amounts[first][0]}"]
    parts += [f"{amount:02d}{unit}" for unit, amount in amounts[first + 1 : last + 1]]
    return "".join(parts)
