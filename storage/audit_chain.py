"""The audit hash chain shared by every backend: hash = sha256(prev_hash || canonical JSON)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(record: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same record always hashes the same."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """Hash of one row, bound to the row before it."""
    return hashlib.sha256((prev_hash + canonical_json(record)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRow:
    """A stored audit event with its place in the chain."""

    seq: int
    prev_hash: str
    hash: str
    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of walking the chain: ok, or the first bad row and why."""

    ok: bool
    rows: int
    bad_seq: int | None = None
    problem: str = ""


def verify_rows(rows: Sequence[AuditRow]) -> VerifyResult:
    """Walk rows in sequence order and name the first whose link or hash does not hold."""
    prev = GENESIS
    for row in rows:
        if row.prev_hash != prev:
            return VerifyResult(False, len(rows), row.seq, "prev_hash breaks the chain")
        if chain_hash(prev, row.record) != row.hash:
            return VerifyResult(False, len(rows), row.seq, "content does not match its hash")
        prev = row.hash
    return VerifyResult(True, len(rows))
