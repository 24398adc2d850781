"""Slack mrkdwn pieces: escaping, clipping, mentions and date tokens each reader sees locally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflow.model import SYSTEM_ACTOR

ELLIPSIS = "…"
DATE_AND_TIME = "{date_short_pretty} at {time}"
# Unicode bidi controls: invisible, yet they make text read in another order than it runs.
BIDI_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
BIDI_MARKS = {code: f"⟪U+{code:04X}⟫" for code in BIDI_CONTROLS}


def marked(text: str) -> str:
    """Bidi controls shown as visible marks, so what a person reads is what the text says."""
    return text.translate(BIDI_MARKS)


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for links and mentions, and mark bidi
    controls."""
    return marked(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, marking the cut so nobody mistakes it for the whole text."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def person(user_id: str) -> str:
    """A mention of a person; the system actor is named, not mentioned."""
    if user_id == SYSTEM_ACTOR:
        return "ChangeGate"
    return f"<@{user_id}>"


def people(user_ids: list[str] | tuple[str, ...], limit: int = 10) -> str:
    """Mentions of several people, the rest counted so long lists stay within block limits."""
    shown = [person(u) for u in user_ids[:limit]]
    rest = len(user_ids) - len(shown)
    if rest > 0:
        shown.append(f"and {rest} more")
    return ", ".join(shown)


def usergroup(usergroup_id: str) -> str:
    """A mention that notifies every member of a Slack user group."""
    return f"<!subteam^{usergroup_id}>"


def fallback_time(at: datetime) -> str:
    """UTC text shown by clients that cannot render date tokens."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def date(at: datetime, fmt: str = DATE_AND_TIME) -> str:
    """A date token: Slack renders it in each reader's own time zone and locale."""
    return f"<!date^{int(at.timestamp())}^{fmt}|{fallback_time(at)}>"


def ago(at: datetime) -> str:
    """A relative date token ("3 minutes ago") that stays true however late it is read."""
    return date(at, "{ago}")


def duration(span: timedelta) -> str:
    """A short human duration such as 30m, 2h 5m or 3d."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) or f"{int(span.total_seconds())}s"


def code_text(text: str) -> str:
    """Text made safe inside a code block: escaped, and no backtick run can close the block."""
    return escape(text).replace("`", "`\u200b")


def code_block(text: str) -> str:
    """Preformatted text that cannot end its block early."""
    return preformatted(code_text(text))


def preformatted(safe: str) -> str:
    """A code block around text already passed through code_text."""
    return f"```{safe}```"
