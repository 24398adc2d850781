"""`changegate db upgrade`, `audit verify`, `audit export` and `audit checkpoint`: the operator's
database tools."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.audit_checkpoint import add_checkpoint_arguments, audit_checkpoint
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
    verify.add_argument("--checkpoint", type=Path, metavar="FILE",
                        help="also check that the chain still holds the head `audit checkpoint` "
                        "wrote to FILE (finds a cut or rewritten tail)")
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
    checkpoint = audit_commands.add_parser(
        "checkpoint", help="write the chain's head (seq, hash, time) outside the database",
        description="write the chain's head (seq, hash, time) to a file and/or a Slack channel, "
        "for `audit verify --checkpoint` to compare with later")
    add_checkpoint_arguments(checkpoint)
    checkpoint.set_defaults(command=audit_checkpoint)
    for parser in (upgrade, verify, dump, checkpoint):
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
    """Exit 0 when the chain holds (and, given a checkpoint, still holds its head), 1 naming the
    first bad row or the missing or rewritten tail."""
    from bot.cli.audit_checkpoint import tail_problem_against
    from storage.sql.audit_trail import AuditTrail

    async def verify(db: Database) -> int:
        trail = AuditTrail(db)
        result = await trail.verify()
        if not result.ok:
            return fail(f"audit chain broken at seq {result.bad_seq}: {result.problem} "
                        f"({result.rows} rows checked)")
        if args.checkpoint is not None:
            problem = await tail_problem_against(trail, args.checkpoint)
            if problem is not None:
                return fail(problem)
        head = await trail.head()
        head_hash = head.hash if head is not None else "none (empty log)"
        held = "; it holds the checkpointed head" if args.checkpoint is not None else ""
        print(f"audit chain ok: {result.rows} events, head {head_hash}{held}")
        return 0

    return with_database(settings, verify, refusals=(ValueError,))


def audit_export(settings: Settings, args: argparse.Namespace) -> int:
    """Stream matching events to standard output in the chosen format."""
    from storage.audit_export import export
    from storage.sql.audit_trail import AuditTrail

    template = ticket_template(settings)

    async def dump(db: Database) -> int:
        rows = AuditTrail(db).rows(since=args.since, change_id=args.change)
        await export(rows, sys.stdout, args.format, template)
        sys.stdout.flush()
        return 0

    return with_database(settings, dump)


def ticket_template(settings: Settings) -> str | None:
    """The policy file's `ticket_url`, for the export's ticket links; a policy file that is
    missing or invalid gives none (the export goes on without links, saying why)."""
    from workflow.policy import PolicyError, load_policy

    if not settings.policy_path.is_file():
        return None
    try:
        return load_policy(settings.policy_path).ticket_url
    except PolicyError as exc:
        print(f"changegate: warning: no ticket links: policy file {settings.policy_path} has "
              f"{len(exc.errors)} problem(s); `changegate check` lists them", file=sys.stderr)
        return None
