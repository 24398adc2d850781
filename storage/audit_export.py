"""Audit rows as JSON lines (re-verifiable: the hashed record is kept whole) or as CSV, each
with its change's ticket and, where the policy gives a `ticket_url` template, the ticket's link."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterable, Mapping
from typing import Any, TextIO

from storage.audit_chain import AuditRow, canonical_json
from workflow.ticket_links import ticket_link

FORMATS = ("jsonl", "csv")
CSV_FIELDS = (
    "seq", "at", "change_id", "kind", "actor", "revision", "digest", "policy_version",
    "since_proposal_s", "data", "prev_hash", "hash", "ticket", "ticket_url",
)
NAMING_TICKETS = ("proposed", "revised")  # their data holds the change's ticket


def named_ticket(record: Mapping[str, Any]) -> str | None:
    """The ticket an event names: `proposed` and `revised` carry it, a metadata edit that
    changed it its new value; None when it names none."""
    data = record.get("data")
    if not isinstance(data, dict):
        return None
    if record.get("kind") == "metadata_edited":
        changes = data.get("changes")
        edit = changes.get("ticket") if isinstance(changes, dict) else None
        new = edit.get("new") if isinstance(edit, dict) else None
        return new if isinstance(new, str) else None
    ticket = data.get("ticket")
    return ticket if record.get("kind") in NAMING_TICKETS and isinstance(ticket, str) else None


class Tickets:
    """Each change's ticket as the rows read so far (oldest first) named it, so every later row
    of the change carries it; a row before the log named it (cut off by `--since`, or written
    before events recorded tickets) carries none."""

    def __init__(self, template: str | None = None) -> None:
        self._template = template
        self._known: dict[str, str] = {}

    def of(self, record: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The row's change's ticket and its link, as far as known."""
        change_id = record.get("change_id")
        if not isinstance(change_id, str):
            return None, None
        named = named_ticket(record)
        if named is not None:
            self._known[change_id] = named
        ticket = self._known.get(change_id)
        if not ticket:
            return None, None
        return ticket, ticket_link(self._template, ticket)


def jsonl_line(row: AuditRow, ticket: str | None = None, link: str | None = None) -> str:
    """One row as one JSON object: chain fields beside the record exactly as hashed, and the
    change's ticket and its link beside them once known."""
    line: dict[str, object] = {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash,
                               "record": row.record}
    if ticket is not None:
        line.update(ticket=ticket, ticket_url=link)
    return json.dumps(line, sort_keys=True, ensure_ascii=False)


def csv_values(row: AuditRow, ticket: str | None = None, link: str | None = None
               ) -> list[object]:
    """One row flattened for spreadsheets; `data` stays JSON in one cell."""
    record = row.record
    values: dict[str, object] = {
        **{name: record.get(name) for name in CSV_FIELDS},
        "seq": row.seq, "data": canonical_json(record.get("data") or {}),
        "prev_hash": row.prev_hash, "hash": row.hash, "ticket": ticket, "ticket_url": link,
    }
    return ["" if values[name] is None else values[name] for name in CSV_FIELDS]


async def export(rows: AsyncIterable[AuditRow], out: TextIO, fmt: str,
                 ticket_url: str | None = None) -> int:
    """Write every row in `fmt` (jsonl or csv), links made with the `ticket_url` template;
    returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_FIELDS)
    tickets = Tickets(ticket_url)
    count = 0
    async for row in rows:
        ticket, link = tickets.of(row.record)
        if writer is not None:
            writer.writerow(csv_values(row, ticket, link))
        else:
            out.write(jsonl_line(row, ticket, link) + "\n")
        count += 1
    return count
