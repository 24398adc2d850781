"""Which database an operator command (`token`, `audit`, `db`) uses, so that none ever creates
one beside a policy file that is not there."""

from __future__ import annotations

import argparse
import sys

from bot.serve_mode import SANDBOX_DATABASE_FILE, sandboxed
from bot.settings import Settings, SettingsError


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


def say_database(url: str) -> None:
    """Name the database used on standard error, leaving standard output to the result."""
    from storage.database import redact_url

    print(f"database: {redact_url(url)}", file=sys.stderr)
