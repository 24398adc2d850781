"""`changegate token create|list|revoke`: bearer tokens of the REST API, kept hashed."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.cli.operator_database import add_sandbox_flag, with_database
from bot.settings import Settings
from storage.tokens import SCOPES, ApiToken, TokenError

if TYPE_CHECKING:  # SQLAlchemy is imported only when a token command runs
    from storage.sql.tokens import SqlTokens

Use = Callable[["SqlTokens"], Awaitable[int]]


def add_token_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                        add_policy: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the `token` command group to the top-level parser."""
    token = commands.add_parser("token", help="manage REST API tokens",
                                description="manage REST API tokens")
    token_commands = token.add_subparsers(required=True, metavar="COMMAND")
    create = token_commands.add_parser(
        "create", help="create a token and print it once",
        description="create a token acting as a Slack user; it is printed once and only its "
                    "hash is stored")
    create.add_argument("--user", required=True, metavar="U…",
                        help="Slack user id the token acts as (the actor of every call)")
    create.add_argument("--name", required=True, help="a name to list and revoke it by")
    create.add_argument("--scopes", required=True, type=_scopes, metavar="SCOPE,…",
                        help=f"comma-separated, of: {', '.join(SCOPES)} (admin holds all)")
    create.add_argument("--json", action="store_true", help="print JSON for machines")
    create.set_defaults(command=token_create)
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)",
                                        description="list tokens, revoked ones too")
    listing.add_argument("--json", action="store_true", help="print JSON for machines")
    listing.set_defaults(command=token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by name or id",
                                       description="revoke a token; it stops working at once")
    revoke.add_argument("token", metavar="NAME-or-id")
    revoke.set_defaults(command=token_revoke)
    for parser in (create, listing, revoke):
        add_policy(parser)
        add_sandbox_flag(parser)


def _scopes(text: str) -> list[str]:
    scopes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise argparse.ArgumentTypeError(
            f"{text!r}: scopes are a comma-separated list of {', '.join(SCOPES)}")
    return scopes


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as listed: everything but its secret."""
    return {"id": token.id, "name": token.name, "user": token.user,
            "scopes": sorted(token.scopes), "created_at": token.created_at.isoformat(),
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


def token_create(settings: Settings, args: argparse.Namespace) -> int:
    """Print the bearer value on stdout (only it, for `$(…)`), the details on stderr."""

    async def create(tokens: SqlTokens) -> int:
        issued = await tokens.create(args.name, args.user, args.scopes, datetime.now(UTC))
        token = issued.token
        if args.json:
            print(json.dumps({**token_json(token), "token": issued.bearer}))
        else:
            print(issued.bearer)
            print(f"created token {token.name} (id {token.id}) acting as {token.user} with "
                  f"scopes {', '.join(sorted(token.scopes))}; it is shown only this once",
                  file=sys.stderr)
        return 0

    return _with_tokens(settings, create, migrate=True)


def token_list(settings: Settings, args: argparse.Namespace) -> int:
    """A table, or JSON lines with --json."""

    async def show(tokens: SqlTokens) -> int:
        listed = await tokens.list()
        if args.json:
            print(json.dumps([token_json(t) for t in listed]))
            return 0
        rows = [("ID", "NAME", "USER", "SCOPES", "CREATED", "REVOKED")] + [
            (t.id, t.name, t.user, ",".join(sorted(t.scopes)), _when(t.created_at),
             _when(t.revoked_at) if t.revoked_at else "-") for t in listed]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        return 0

    return _with_tokens(settings, show)


def token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Revoke by id or live name; revoking twice is not an error."""

    async def revoke(tokens: SqlTokens) -> int:
        before = {t.id: t for t in await tokens.list()}
        token = await tokens.revoke(args.token, datetime.now(UTC))
        already = before.get(token.id) is not None and not before[token.id].live
        verb = "was already revoked" if already else "revoked"
        print(f"token {token.name} (id {token.id}, acting as {token.user}) {verb}")
        return 0

    return _with_tokens(settings, revoke)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else ""


def _with_tokens(settings: Settings, use: Use, *, migrate: bool = False) -> int:
    """Open the database (migrating it for `create`), run `use`, close it, name it."""
    from storage.sql.tokens import SqlTokens

    return with_database(
        settings, lambda db: use(SqlTokens(db)), migrate=migrate, refusals=(TokenError,),
        failure="cannot use database {url}: {reason}; is it upgraded (`changegate db upgrade`)?")
