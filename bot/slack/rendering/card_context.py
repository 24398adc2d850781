"""What a renderer needs besides the change itself: time, audience, membership and audit anchor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.slack.rendering.blocks import Block
from storage.ports.cards import Audience
from storage.ports.change_queries import AuditAnchor, Settled


@dataclass(frozen=True, slots=True)
class CardContext:
    """Inputs of a card beyond the change: `available` maps a group to people who could still
    approve for it (None when unknown), so an unmeetable requirement can be flagged."""

    now: datetime
    audience: Audience = Audience.CHANNEL
    available: Mapping[str, int] | None = None
    anchor: AuditAnchor | None = None
    settled: Settled | None = None
    ticket_url: str | None = None  # the policy's template (`…/{ticket}`): the ticket as a link


@dataclass(frozen=True, slots=True)
class Message:
    """A message body: the notification text every message needs, and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Arguments for chat.postMessage / chat.update."""
        return {"text": self.text, "blocks": self.blocks}
