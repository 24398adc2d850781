"""Card references in the database, so every copy of a card is updated in place across restarts."""

from __future__ import annotations

from collections.abc import Sequence

from storage.ports.cards import Audience, CardRef
from storage.sql.cards import SqlCards, StoredCard
from workflow.ports import Clock


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
