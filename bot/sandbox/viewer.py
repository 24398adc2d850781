"""Whose eyes a rendering is for: names to show for ids, their time zone and what "now" is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sandbox.fakeslack.workspace import User, Workspace


@dataclass(frozen=True)
class Viewer:
    """Slack renders mentions and dates per reader; the sandbox does the same, server-side."""

    user: str
    tz: tzinfo = UTC
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    names: Mapping[str, str] = field(default_factory=dict)
    usergroups: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    workspace_url: str = ""

    def name(self, user_id: str) -> str:
        return self.names.get(user_id, user_id)


def zone(user: User) -> tzinfo:
    """The person's time zone; their fixed UTC offset when the name is unknown here."""
    try:
        return ZoneInfo(user.tz)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(seconds=user.tz_offset))


def viewer_for(workspace: Workspace, user_id: str, now: datetime | None = None) -> Viewer:
    """The viewer that `user_id` of `workspace` is."""
    user = workspace.users.get(user_id)
    names = {u.id: u.shown_name for u in workspace.users.values()}
    names[workspace.bot_user_id] = "ChangeGate"
    return Viewer(
        user=user_id,
        tz=zone(user) if user is not None else UTC,
        now=now or datetime.now(UTC),
        names=names,
        usergroups={g.id: g.handle for g in workspace.usergroups.values()},
        channels={c.id: c.name for c in workspace.channels.values() if c.user is None},
        workspace_url=f"https://{workspace.domain}.slack.com/",
    )
