"""Card references in this process's memory."""

from __future__ import annotations

from collections.abc import Sequence

from storage.ports.cards import CardRef


class MemoryCardStore:
    """Card references kept in this process only: lost on restart, fine for tests and demos."""

    def __init__(self) -> None:
        self._cards: dict[str, dict[tuple[str, str], CardRef]] = {}

    async def cards(self, change_id: str) -> Sequence[CardRef]:
        return list(self._cards.get(change_id, {}).values())

    async def save(self, ref: CardRef) -> None:
        self._cards.setdefault(ref.change_id, {})[(ref.channel, ref.ts)] = ref
