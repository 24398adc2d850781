"""Approvers' DM digests in this process's memory."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from storage.ports.dm_digests import DmDigest


class MemoryDmDigests:
    """Digest messages kept in this process only: lost on restart, fine for tests and demos."""

    def __init__(self) -> None:
        self._digests: dict[str, DmDigest] = {}

    async def digests(self, people: Collection[str]) -> Sequence[DmDigest]:
        return [self._digests[p] for p in sorted(set(people)) if p in self._digests]

    async def claim(self, digest: DmDigest) -> DmDigest:
        return self._digests.setdefault(digest.person, digest)

    async def save(self, digest: DmDigest) -> None:
        self._digests[digest.person] = digest
