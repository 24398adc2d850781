"""What the fake has seen: messages by channel and ts with threads, ephemerals, views, handles."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

TRIGGER_LIFE_S = 3.0
RESPONSE_URL_LIFE_S = 30 * 60.0
RESPONSE_URL_USES = 5
VIEW_STACK_MAX = 3


@dataclass
class Message:
    """A message the bot posted; `thread_ts` is set on replies."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    thread_ts: str | None = None
    reply_broadcast: bool = False
    edits: int = 0
    posted: float = field(default_factory=time.time)  # wall clock, for clients to show

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user,
                                "text": self.text, "blocks": self.blocks}
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        return data


@dataclass
class Ephemeral:
    """A message only one person sees: chat.postEphemeral or an ephemeral response_url reply;
    `ts` places it among the channel's messages."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    via: str
    ts: str = ""
    posted: float = field(default_factory=time.time)

    def as_message(self, bot_user: str) -> Message:
        """The ephemeral as a message a button of it can be pressed on."""
        return Message(self.channel, self.ts, self.text, self.blocks, bot_user)


@dataclass
class ViewRecord:
    """A modal (in a stack) or a Home tab as last set."""

    id: str
    user: str
    view: dict[str, Any]
    hash: str
    root_id: str
    external_id: str | None = None
    closed: bool = False

    def as_json(self, team_id: str, app_id: str, bot_id: str) -> dict[str, Any]:
        return {
            **self.view, "id": self.id, "team_id": team_id, "app_id": app_id, "bot_id": bot_id,
            "hash": self.hash, "root_view_id": self.root_id,
            "callback_id": self.view.get("callback_id", ""),
            "private_metadata": self.view.get("private_metadata", ""),
            "external_id": self.external_id or "",
            "state": {"values": {}},
        }


@dataclass
class Trigger:
    """A trigger_id: one use within three seconds of the interaction."""

    id: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url: five uses within thirty minutes."""

    id: str
    channel: str
    user: str
    issued_at: float
    message_ts: str | None = None
    uses: int = 0


@dataclass
class SlackState:
    """All mutable state of one fake workspace."""

    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, ViewRecord] = field(default_factory=dict)
    homes: dict[str, ViewRecord] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_ts(self) -> str:
        """A unique, increasing message timestamp in Slack's "seconds.micros" form."""
        n = next(self.serial)
        return f"{1_790_000_000 + n}.{n:06d}"

    def next_id(self, prefix: str) -> str:
        """A unique id such as V000000000007."""
        return f"{prefix}{next(self.serial):012d}"

    def in_channel(self, channel: str) -> list[Message]:
        """Top-level messages of a conversation, oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == channel and m.thread_ts is None]
        return sorted(found, key=lambda m: float(m.ts))

    def replies(self, channel: str, ts: str) -> list[Message]:
        """Replies in the thread under `ts`, oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == channel and m.thread_ts == ts]
        return sorted(found, key=lambda m: float(m.ts))
