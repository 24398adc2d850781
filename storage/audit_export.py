"""Audit rows as JSON lines (re-verifiable: the hashed record is kept whole) or as CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterable
from typing import TextIO

from storage.audit_chain import AuditRow, canonical_json

FORMATS = ("jsonl", "csv")
CSV_FIELDS = (
    "seq", "at", "change_id", "kind", "actor", "revision", "digest", "policy_version",
    "since_proposal_s", "data", "prev_hash", "hash",
)


def jsonl_line(row: AuditRow) -> str:
    """One row as one JSON object: chain fields beside the record exactly as hashed."""
    return json.dumps(
        {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash, "record": row.record},
        sort_keys=True, ensure_ascii=False,
    )


def csv_values(row: AuditRow) -> list[object]:
    """One row flattened for spreadsheets; `data` stays JSON in one cell."""
    record = row.record
    values: dict[str, object] = {
        **{name: record.get(name) for name in CSV_FIELDS},
        "seq": row.seq, "data": canonical_json(record.get("data") or {}),
        "prev_hash": row.prev_hash, "hash": row.hash,
    }
    return ["" if values[name] is None else values[name] for name in CSV_FIELDS]


async def export(rows: AsyncIterable[AuditRow], out: TextIO, fmt: str) -> int:
    """Write every row in `fmt` (jsonl or csv); returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_FIELDS)
    count = 0
    async for row in rows:
        if writer is not None:
            writer.writerow(csv_values(row))
        else:
            out.write(jsonl_line(row) + "\n")
        count += 1
    return count
