"""Slack's `<!date^…>` tokens as each reader sees them: in their own time zone, relative to now."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

TOKEN = re.compile(r"\{(\w+)\}")
DAY_WORDS = {0: "today", -1: "yesterday", 1: "tomorrow"}
UNITS = ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"),
         (60, "minute"), (1, "second"))


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def clock(at: datetime, seconds: bool = False) -> str:
    """9:05 AM, as Slack shows times by default."""
    text = at.strftime("%I:%M:%S %p" if seconds else "%I:%M %p")
    return text.lstrip("0")


def ago(at: datetime, now: datetime) -> str:
    """"3 minutes ago", "in 2 hours", "just now"."""
    delta = (now - at).total_seconds()
    size = abs(delta)
    if size < 45:
        return "just now"
    for unit_s, unit in UNITS:
        if size >= unit_s:
            n = round(size / unit_s)
            words = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"{words} ago" if delta > 0 else f"in {words}"
    return "just now"


def render(timestamp: int, fmt: str, tz: tzinfo, now: datetime) -> str:
    """The token's format string filled in for a reader in `tz`; unknown parts stay as written."""
    at = datetime.fromtimestamp(timestamp, tz)
    today = now.astimezone(tz).date()
    offset = (at.date() - today) // timedelta(days=1)
    date = f"{at:%B} {ordinal(at.day)}, {at.year}"
    short = f"{at:%b} {at.day}, {at.year}"
    long = f"{at:%A}, {date}"
    day_word = DAY_WORDS.get(offset)
    parts = {
        "date_num": at.strftime("%Y-%m-%d"),
        "date": date,
        "date_short": short,
        "date_long": long,
        "date_pretty": day_word or date,
        "date_short_pretty": day_word or short,
        "date_long_pretty": day_word or long,
        "time": clock(at),
        "time_secs": clock(at, seconds=True),
        "ago": ago(at, now),
    }
    return TOKEN.sub(lambda m: parts.get(m.group(1), m.group(0)), fmt)
