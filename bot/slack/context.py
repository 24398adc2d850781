"""What a renderer needs besides the change itself: time, audience, membership and audit anchor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.slack.blocks import Block


class Audience(StrEnum):
    """Who a copy of a card is for: approvers in the channel, the requester in a DM, or one
    approver in a DM (the channel's buttons)."""

    CHANNEL = "channel"
    REQUESTER = "requester"
    APPROVER = "approver"


@dataclass(frozen=True, slots=True)
class AuditAnchor:
    """The latest audit row of a change; its hash anchors the chain outside the database."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Settled:
    """The last thing that happened to a change (kind, who, when), for outcomes the model lacks."""

    kind: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CardContext:
    """Inputs of a card beyond the change: `available` maps a group to people who could still
    approve for it (None when unknown), so an unmeetable requirement can be flagged."""

    now: datetime
    audience: Audience = Audience.CHANNEL
    available: Mapping[str, int] | None = None
    anchor: AuditAnchor | None = None
    settled: Settled | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A message body: the notification text every message needs, and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Arguments for chat.postMessage / chat.update."""
        return {"text": self.text, "blocks": self.blocks}
