"""The audit chain's head kept outside the database: the chain proves every row up to its head,
but only a head recorded elsewhere shows that rows after it were cut off or rewritten."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.audit_chain import AuditRow

HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head row's place and hash when taken, and the time it was recorded."""

    seq: int
    hash: str
    at: str  # the head row's own time, as recorded
    taken_at: str

    def to_json(self) -> str:
        """What the checkpoint file holds (and what is posted), one JSON object."""
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at,
                           "taken_at": self.taken_at}, sort_keys=True)

    def describe(self) -> str:
        """Seq, short hash and time, for messages."""
        return f"seq {self.seq}, hash {self.hash[:12]}…, taken {self.taken_at}"


def checkpoint_of(head: AuditRow, now: datetime) -> Checkpoint:
    """The checkpoint of the chain whose newest row is `head`."""
    return Checkpoint(head.seq, head.hash, str(head.record.get("at")), now.isoformat())


def read_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint file; ValueError names what is wrong with it."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise ValueError("is not JSON: write it with `changegate audit checkpoint`") from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object with seq, hash, at and taken_at")
    seq, digest = data.get("seq"), data.get("hash")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError("has no valid seq (a positive integer)")
    if not isinstance(digest, str) or len(digest) != 64 or not set(digest.lower()) <= HEX:
        raise ValueError("has no valid hash (64 hex digits)")
    return Checkpoint(seq, digest.lower(), str(data.get("at", "")), str(data.get("taken_at", "")))


def tail_problem(checkpoint: Checkpoint, head: AuditRow | None,
                 at_seq: AuditRow | None) -> str | None:
    """Why the stored chain (its newest row `head`, its row at the checkpoint's seq `at_seq`)
    no longer holds the checkpointed head: rows cut off the end, or the tail rewritten."""
    if at_seq is None:
        last = head.seq if head is not None else 0
        first = last + 1
        missing = f"seq {first}" if first == checkpoint.seq else f"seq {first} to {checkpoint.seq}"
        return (f"audit log truncated: {missing} missing (the log ends at seq {last}; the "
                f"checkpoint has {checkpoint.describe()})")
    if at_seq.hash != checkpoint.hash:
        return (f"audit log rewritten: seq {checkpoint.seq} has hash {at_seq.hash[:12]}…, the "
                f"checkpoint has {checkpoint.describe()}")
    return None
