"""Where each copy of a change's card lives (channel and ts), so every copy is updated in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.slack.context import Audience
from storage.sql.cards import SqlCards, StoredCard
from workflow.ports import Clock


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


class MemoryCardStore:
    """Card references kept in this process only: lost on restart, fine for tests and demos."""

    def __init__(self) -> None:
        self._cards: dict[str, dict[tuple[str, str], CardRef]] = {}

    async def cards(self, change_id: str) -> Sequence[CardRef]:
        return list(self._cards.get(change_id, {}).values())

    async def save(self, ref: CardRef) -> None:
        self._cards.setdefault(ref.change_id, {})[(ref.channel, ref.ts)] = ref


class SqlCardStore:
    """Card references in the database, so copies are updated in place across restarts."""

    def __init__(self, cards: SqlCards, clock: Clock) -> None:
        self._cards = cards
        self._clock = clock

    async def cards(self, change_id: str) -> Sequence[CardRef]:
        return [
            CardRef(c.change_id, c.channel, c.ts, Audience(c.audience), c.rendered)
            for c in await self._cards.cards(change_id)
        ]

    async def save(self, ref: CardRef) -> None:
        stored = StoredCard(ref.change_id, ref.channel, ref.ts, ref.audience.value, ref.rendered)
        await self._cards.save(stored, self._clock.now())
