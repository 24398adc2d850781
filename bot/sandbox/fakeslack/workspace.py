"""The fake workspace's directory: team, bot identity, users with time zones, groups, channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A member; `tz` and `tz_offset` are what users.info reports, `real_name` what people read."""

    id: str
    name: str
    tz: str = "Europe/London"
    tz_offset: int = 0
    is_bot: bool = False
    real_name: str = ""
    title: str = ""

    @property
    def shown_name(self) -> str:
        """The name a client shows: the full name when there is one, else the handle."""
        return self.real_name or self.name

    def as_json(self, team_id: str) -> dict[str, Any]:
        return {
            "id": self.id, "team_id": team_id, "name": self.name, "real_name": self.shown_name,
            "tz": self.tz, "tz_label": self.tz, "tz_offset": self.tz_offset,
            "is_bot": self.is_bot, "deleted": False,
            "profile": {"display_name": self.name, "real_name": self.shown_name,
                        "title": self.title},
        }


@dataclass
class Usergroup:
    """A Slack user group (an @handle); `users` may change while the server runs."""

    id: str
    handle: str
    users: list[str] = field(default_factory=list)


@dataclass
class Channel:
    """A channel or a direct-message conversation (`user` set for a DM)."""

    id: str
    name: str
    user: str | None = None


@dataclass
class Workspace:
    """Everything the fake knows about the workspace before any call."""

    team_id: str = "T0CHANGEGATE"
    team_name: str = "ChangeGate Test"
    domain: str = "changegate-test"
    app_id: str = "A0CHANGEGATE"
    bot_id: str = "B0CHANGEGATE"
    bot_user_id: str = "U0CHANGEGATE"
    bot_token: str = "xoxb-fake-token"
    app_token: str = "xapp-fake-token"
    users: dict[str, User] = field(default_factory=dict)
    usergroups: dict[str, Usergroup] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)

    def add_user(self, user_id: str, name: str | None = None, tz: str = "Europe/London",
                 tz_offset: int = 0, *, real_name: str = "", title: str = "") -> User:
        """Register a member (idempotent)."""
        user = self.users.setdefault(user_id, User(user_id, name or user_id.lower(), tz, tz_offset,
                                                   real_name=real_name, title=title))
        return user

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> Usergroup:
        """Register a user group and its members."""
        for user in users:
            self.add_user(user)
        group = Usergroup(group_id, handle, list(users))
        self.usergroups[group_id] = group
        return group

    def add_channel(self, channel_id: str, name: str | None = None) -> Channel:
        """Register a public channel."""
        return self.channels.setdefault(channel_id, Channel(channel_id, name or channel_id.lower()))

    def dm_with(self, user_id: str) -> Channel:
        """The bot's direct-message conversation with a user, opened on first use."""
        for channel in self.channels.values():
            if channel.user == user_id:
                return channel
        channel = Channel(f"D{user_id.lstrip('UW')}", f"dm-{user_id}", user=user_id)
        self.channels[channel.id] = channel
        return channel
