"""`changegate db upgrade`, `audit verify` and `audit export`: the operator's database tools."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.fail import fail
from bot.cli.operator_database import add_sandbox_flag, operator_database, with_database
from bot.settings import Settings, SettingsError
from storage.audit_export import FORMATS
from workflow.time_range import TIME_RANGE, within_range

if TYPE_CHECKING:
    from storage.sql.engines import Database

# The storage modules (and SQLAlchemy) are imported by the commands that use them, so that
# `changegate --help` and the commands without a database start quickly.


def iso_time(text: str) -> datetime:
    """An ISO 8601 time for `--since`; without an offset it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {text!r} (e.g. 2026-11-02T09:00:00Z)"
        ) from None
    utc = within_range(value.replace(tzinfo=UTC) if value.tzinfo is None else value)
    if utc is None:
        raise argparse.ArgumentTypeError(f"must be {TIME_RANGE}, got {text!r}")
    return utc


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                  add_policy: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the `db` and `audit` command groups to the top-level parser."""
    db = commands.add_parser("db", help="manage the database schema",
                             description="manage the database schema")
    db_commands = db.add_subparsers(required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade", help="create the database if needed and apply every pending migration",
        description="create the database if needed and apply every pending migration")
    upgrade.set_defaults(command=db_upgrade)

    audit = commands.add_parser("audit", help="check or export the audit log",
                                description="check or export the audit log")
    audit_commands = audit.add_subparsers(required=True, metavar="COMMAND")
    verify = audit_commands.add_parser(
        "verify", help="walk the hash chain and name the first bad row",
        description="walk the hash chain and name the first bad row (exit 1)")
    verify.set_defaults(command=audit_verify)
    dump = audit_commands.add_parser(
        "export", help="write audit events to standard output",
        description="write audit events to standard output, oldest first")
    dump.add_argument("--format", choices=FORMATS, default="jsonl",
                      help="jsonl (default; keeps the hashed record) or csv")
    dump.add_argument("--since", type=iso_time, metavar="ISO",
                      help="only events at or after this time, e.g. 2026-11-02T09:00:00Z")
    dump.add_argument("--change", metavar="CHG-n", help="only events of this change")
    dump.set_defaults(command=audit_export)
    for parser in (upgrade, verify, dump):
        add_policy(parser)
        add_sandbox_flag(parser)


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    """Run `upgrade head`; serve does the same at start-up."""
    from storage.database import DatabaseError, create_database, redact_url
    from storage.migrate import head_revision

    try:
        url = operator_database(settings)
        asyncio.run(create_database(url))
    except (SettingsError, DatabaseError) as exc:
        return fail(str(exc))
    print(f"database {redact_url(url)} is at revision {head_revision()}")
    return 0


def audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when the chain holds, 1 naming the first bad row."""
    from storage.sql.audit_trail import AuditTrail

    async def verify(db: Database) -> int:
        trail = AuditTrail(db)
        result = await trail.verify()
        if not result.ok:
            return fail(f"audit chain broken at seq {result.bad_seq}: {result.problem} "
                        f"({result.rows} rows checked)")
        head = await trail.head()
        head_hash = head.hash if head is not None else "none (empty log)"
        print(f"audit chain ok: {result.rows} events, head {head_hash}")
        return 0

    return with_database(settings, verify)


def audit_export(settings: Settings, args: argparse.Namespace) -> int:
    """Stream matching events to standard output in the chosen format."""
    from storage.audit_export import export
    from storage.sql.audit_trail import AuditTrail

    async def dump(db: Database) -> int:
        rows = AuditTrail(db).rows(since=args.since, change_id=args.change)
        await export(rows, sys.stdout, args.format)
        sys.stdout.flush()
        return 0

    return with_database(settings, dump)
