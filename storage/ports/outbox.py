"""The relay's outbox: claim due messages under a lease, mark them delivered or failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol


class Queued(Protocol):
    """What a delivery reads of a message: a written OutboxMessage or one a relay claimed."""

    @property
    def topic(self) -> str: ...

    @property
    def change_id(self) -> str | None: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


class Claimed(Queued, Protocol):
    """A message leased to this relay; `attempts` counts the current one."""

    @property
    def id(self) -> int: ...

    @property
    def attempts(self) -> int: ...


class OutboxQueue(Protocol):
    """The relay's side of the outbox (`SqlOutboxQueue`, `MemoryOutboxQueue`)."""

    async def claim(
        self, owner: str, limit: int, lease: timedelta, now: datetime
    ) -> Sequence[Claimed]: ...

    async def release(self, message_ids: Sequence[int], owner: str) -> None:
        """Hand back claimed messages that were not attempted."""
        ...

    async def renew(self, message_ids: Sequence[int], owner: str, until: datetime) -> None:
        """Extend this owner's lease of messages it is still delivering."""
        ...

    async def mark_delivered(self, message_id: int, now: datetime) -> bool: ...

    async def mark_delivered_all(self, message_ids: Sequence[int], now: datetime) -> int:
        """Mark several delivered in one go; how many were not marked before."""
        ...

    async def mark_failed(self, message_id: int, owner: str, error: str, now: datetime) -> bool:
        """Schedule a retry; True when the message was dead-lettered."""
        ...
