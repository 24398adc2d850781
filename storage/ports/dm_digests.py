"""Where each approver's DM digest lives (channel and ts) and what it shows, so the one message is
updated in place, after a restart and on every replica, instead of being posted again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DmDigest:
    """One person's digest message; `rendered` fingerprints what it shows, so an unchanged digest
    is not sent again."""

    person: str
    channel: str
    ts: str
    rendered: str = ""


class DmDigests(Protocol):
    """Digest messages by person, one each; a database table in production, a dict in tests."""

    async def digests(self, people: Collection[str]) -> Sequence[DmDigest]:
        """The digests of those of `people` who have one, by person."""
        ...

    async def claim(self, digest: DmDigest) -> DmDigest:
        """Keep `digest` as its person's unless they have one already (another replica posted it
        first): the one kept, which callers use from then on."""
        ...

    async def save(self, digest: DmDigest) -> None:
        """Insert or replace the person's digest, e.g. with what it shows after an update."""
        ...
