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


class ChainCheck:
    """Walks rows one at a time, so a long chain is verified without loading it whole."""

    def __init__(self) -> None:
        self.prev = GENESIS
        self.rows = 0
        self.failure: VerifyResult | None = None

    def feed(self, row: AuditRow) -> bool:
        """Check the next row in sequence order; False (and `failure` set) at the first bad one."""
        if self.failure is not None:
            return False
        self.rows += 1
        if row.prev_hash != self.prev:
            self.failure = VerifyResult(False, self.rows, row.seq, "prev_hash breaks the chain")
        elif chain_hash(self.prev, row.record) != row.hash:
            self.failure = VerifyResult(
                False, self.rows, row.seq, "content does not match its hash"
            )
        else:
            self.prev = row.hash
        return self.failure is None

    def result(self) -> VerifyResult:
        """The first failure, or ok with the number of rows walked."""
        return self.failure or VerifyResult(True, self.rows)


def verify_rows(rows: Sequence[AuditRow]) -> VerifyResult:
    """Walk rows in sequence order and name the first whose link or hash does not hold."""
    check = ChainCheck()
    for row in rows:
        if not check.feed(row):
            return VerifyResult(False, len(rows), row.seq, check.result().problem)
    return check.result()
