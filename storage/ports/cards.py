"""Where each copy of a change's card lives (channel and ts), so every copy is updated in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Audience(StrEnum):
    """Who a copy of a card is for: approvers in the channel, the requester in a DM, or one
    approver in a DM (the channel's buttons)."""

    CHANNEL = "channel"
    REQUESTER = "requester"
    APPROVER = "approver"


@dataclass(frozen=True, slots=True)
class CardRef:
    """One posted copy; `rendered` fingerprints what it shows, so unchanged copies are not sent."""

    change_id: str
    channel: str
    ts: str
    audience: Audience
    rendered: str = ""


class CardStore(Protocol):
    """Card references by change; a database table in production, a dict in tests."""

    async def cards(self, change_id: str) -> Sequence[CardRef]:
        """Every copy of the change's card, in the order they were posted."""
        ...

    async def save(self, ref: CardRef) -> None:
        """Insert or replace the copy at (channel, ts)."""
        ...
