"""Which database an operator command (`token`, `audit`, `db`) uses, so that none ever creates
one beside a policy file that is not there."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.cli.fail import fail
from bot.serve_mode import SANDBOX_DATABASE_FILE, sandboxed
from bot.settings import DATABASE_FILE, Settings, SettingsError

if TYPE_CHECKING:
    from storage.sql.engines import Database


def add_sandbox_flag(parser: argparse.ArgumentParser) -> None:
    """`--sandbox`: the sandbox's own database instead of production's."""
    parser.add_argument("--sandbox", action="store_true",
                        help=f"use the sandbox's database ({SANDBOX_DATABASE_FILE} beside the "
                        "policy file) instead of production's")


def operator_database(settings: Settings) -> str:
    """CHANGEGATE_DATABASE_URL when set, else the default beside an existing policy file, or a
    SettingsError naming the missing file."""
    if settings.database_given:
        return settings.database_url
    path = settings.policy_path
    if not path.is_file():
        raise SettingsError(
            f"policy file {path} does not exist, and the default database is the one beside it: "
            "pass --policy PATH (or set CHANGEGATE_POLICY or CHANGEGATE_DATABASE_URL), or "
            "write a starter policy with `changegate init`")
    return sandboxed(settings).database_url if settings.sandbox else settings.database_url


def sandbox_hint(settings: Settings) -> str:
    """What to add to a failure on the default database when there is none beside the policy,
    but the sandbox's is there: the command most likely meant the sandbox's (`--sandbox`)."""
    if settings.sandbox or settings.database_given:
        return ""
    directory = settings.policy_path.resolve().parent
    if (directory / DATABASE_FILE).exists() or not (directory / SANDBOX_DATABASE_FILE).exists():
        return ""
    return (f"; the sandbox's database {directory / SANDBOX_DATABASE_FILE} is beside the policy: "
            "add --sandbox to use it")


def say_database(url: str) -> None:
    """Name the database used on standard error, leaving standard output to the result."""
    from storage.database import redact_url

    print(f"database: {redact_url(url)}", file=sys.stderr)


def with_database(settings: Settings, use: Callable[[Database], Awaitable[int]], *,
                  migrate: bool = False, refusals: tuple[type[Exception], ...] = (),
                  failure: str = "cannot read database {url}: {reason}") -> int:
    """Open the operator's database (creating it only when `migrate`), run `use`, close it and
    name it; a refusal in `refusals` or a storage failure (`failure`) is one line and exit 1."""
    from storage.database import DatabaseError, open_database, redact_url
    from storage.errors import StorageError

    try:
        url = operator_database(settings)
    except SettingsError as exc:
        return fail(str(exc))

    async def run() -> int:
        db = await open_database(url, migrate=migrate)
        try:
            return await use(db)
        finally:
            await db.dispose()

    refused: tuple[type[Exception], ...] = (DatabaseError, *refusals)
    try:
        code = asyncio.run(run())
    except refused as exc:
        return fail(str(exc) + sandbox_hint(settings))
    except StorageError as exc:
        return fail(failure.format(url=redact_url(url), reason=exc))
    say_database(url)
    return code
