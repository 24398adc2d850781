"""Where timers read pending deadlines from: committed state, read without the writer's lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Deadline:
    """A change id and the next moment its timer must fire."""

    change_id: str
    at: datetime


class DeadlineSource(Protocol):
    """Pending deadlines from the database (SQL `Queries`, `MemoryQueries`), read without the
    writer's lock."""

    async def deadlines(
        self, until: datetime | None = None, limit: int = 1000
    ) -> Sequence[Deadline]: ...

    async def deadline_of(self, change_id: str) -> datetime | None:
        """The change's next deadline; None when it has none (or does not exist)."""
        ...
