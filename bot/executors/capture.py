"""Bounded capture of a program's output: keep a limit, hash everything, never block the writer."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Captured:
    """What was kept of a stream, how long it was in all, and the sha256 of all of it."""

    kept: bytes
    total: int
    sha256: str

    @property
    def truncated(self) -> bool:
        """Whether bytes were left out."""
        return self.total > len(self.kept)

    def text(self) -> str:
        """The kept text; when cut, a marker whose hash of the whole output keeps digests honest."""
        shown = self.kept.decode("utf-8", errors="replace")
        if not self.truncated:
            return shown
        return (
            f"{shown}\n[output truncated: {self.total} bytes in all, the first {len(self.kept)} "
            f"shown; sha256 of the whole output {self.sha256}]"
        )


async def capture(stream: asyncio.StreamReader, limit: int, *, tail: bool = False) -> Captured:
    """Read to the end, keeping the first (or with `tail` the last) `limit` bytes."""
    digest = hashlib.sha256()
    kept = bytearray()
    total = 0
    while chunk := await stream.read(CHUNK):
        digest.update(chunk)
        total += len(chunk)
        if tail:
            kept += chunk
            del kept[: max(len(kept) - limit, 0)]
        elif len(kept) < limit:
            kept += chunk[: limit - len(kept)]
    return Captured(bytes(kept), total, digest.hexdigest())
