"""What the fake has seen: messages by channel and ts with threads, ephemerals, views, handles.

Kept in memory, unless a `SlackStore` is given: then every message, ephemeral and view is also
written there as it changes, and the counters that number ts, view ids and handles too, so a fake
restored from it shows what it showed and never issues an id twice (the sandbox's workspace file).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

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


SERIAL = "serial"  # numbers message ts and view ids
HANDLES = "handles"  # numbers trigger ids and response URLs


@dataclass
class Kept:
    """What a store gives back: the last number of each counter, and everything shown."""

    counters: dict[str, int] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: list[ViewRecord] = field(default_factory=list)
    homes: list[ViewRecord] = field(default_factory=list)


class SlackStore(Protocol):
    """Where a fake that outlives its process keeps what it showed; each call is one change."""

    def load(self) -> Kept:
        """Everything kept so far, in the order it came."""
        ...

    def counter(self, name: str, value: int) -> None:
        """`value` is the last number the counter `name` issued."""
        ...

    def message(self, message: Message) -> None:
        """A message posted, or changed in place."""
        ...

    def message_deleted(self, channel: str, ts: str) -> None: ...

    def ephemeral(self, ephemeral: Ephemeral) -> None: ...

    def view(self, record: ViewRecord, *, home: bool) -> None:
        """A modal or (`home`) a Home tab, opened or changed."""
        ...


@dataclass
class SlackState:
    """All mutable state of one fake workspace; `store`, when given, keeps it all as it changes
    (add and change messages and views through the methods below, so it does)."""

    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, ViewRecord] = field(default_factory=dict)
    homes: dict[str, ViewRecord] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # the last number each one issued
    store: SlackStore | None = field(default=None, repr=False, compare=False)

    @classmethod
    def kept_in(cls, store: SlackStore) -> SlackState:
        """The state `store` kept, going on keeping every change there."""
        kept = store.load()
        return cls(messages={(m.channel, m.ts): m for m in kept.messages},
                   ephemerals=list(kept.ephemerals), views={v.id: v for v in kept.views},
                   homes={h.user: h for h in kept.homes}, counters=dict(kept.counters),
                   store=store)

    def next_number(self, counter: str = SERIAL) -> int:
        """The next number of a counter, never issued before (by this store's earlier runs
        either)."""
        number = self.counters.get(counter, 0) + 1
        self.counters[counter] = number
        if self.store is not None:
            self.store.counter(counter, number)
        return number

    def next_ts(self) -> str:
        """A unique, increasing message timestamp in Slack's "seconds.micros" form."""
        n = self.next_number()
        return f"{1_790_000_000 + n}.{n % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """A unique id such as V000000000007."""
        return f"{prefix}{self.next_number():012d}"

    def put_message(self, message: Message) -> None:
        """A message posted, or one whose text or blocks were just changed in place."""
        self.messages[(message.channel, message.ts)] = message
        if self.store is not None:
            self.store.message(message)

    def drop_message(self, channel: str, ts: str) -> None:
        if self.messages.pop((channel, ts), None) is not None and self.store is not None:
            self.store.message_deleted(channel, ts)

    def put_ephemeral(self, ephemeral: Ephemeral) -> None:
        self.ephemerals.append(ephemeral)
        if self.store is not None:
            self.store.ephemeral(ephemeral)

    def put_view(self, record: ViewRecord) -> None:
        """A modal opened, or one just updated or closed."""
        self.views[record.id] = record
        if self.store is not None:
            self.store.view(record, home=False)

    def put_home(self, record: ViewRecord) -> None:
        """A Home tab published."""
        self.homes[record.user] = record
        if self.store is not None:
            self.store.view(record, home=True)

    def in_channel(self, channel: str) -> list[Message]:
        """Top-level messages of a conversation, oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == channel and m.thread_ts is None]
        return sorted(found, key=lambda m: float(m.ts))

    def replies(self, channel: str, ts: str) -> list[Message]:
        """Replies in the thread under `ts`, oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == channel and m.thread_ts == ts]
        return sorted(found, key=lambda m: float(m.ts))
