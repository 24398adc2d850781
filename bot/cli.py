"""Command line: `serve` the bot, the policy tools (`check`, `init`, `policy explain`), the
`db`, `audit` and `token` tools, and the pipeline client (`submit`, `wait`, `dry-run`, `apply`,
`result`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence

from bot.client_commands import add_client_arguments
from bot.database_commands import add_arguments, fail
from bot.policy_commands import add_policy_arguments
from bot.sandbox.serve import run_sandbox
from bot.serve_mode import serve_settings
from bot.server import ServerError, run_server
from bot.settings import Settings, SettingsError
from bot.token_commands import add_token_arguments
from storage.database import DatabaseError, create_database
from workflow.policy import Policy, PolicyError, load_policy

Command = Callable[[Settings, argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit code: 0 on success, 1 on any error."""
    args = _parser().parse_args(argv)
    command: Command = args.command
    try:
        settings = Settings.load(os.environ, policy=args.policy,
                                 sandbox=getattr(args, "sandbox", False))
    except SettingsError as exc:
        return fail(str(exc))
    return command(settings, args)


def _with_policy(command: Callable[[Settings, Policy], int]) -> Command:
    """A command that needs the policy file loaded and valid first."""

    def run(settings: Settings, _: argparse.Namespace) -> int:
        try:
            policy = load_policy(settings.policy_path)
        except PolicyError as exc:
            n = len(exc.errors)
            header = f"policy file {settings.policy_path} has {n} problem{'s' if n != 1 else ''}:"
            return fail(header, *exc.errors)
        return command(settings, policy)

    return run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="changegate", description="Slack bot that gates changes behind human approval."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for name, command, help_text in (
        ("serve", serve, "run the bot: load the policy, open the database, serve HTTP"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_policy(sub)
        sub.set_defaults(command=_with_policy(command))
        if name == "serve":
            sub.add_argument("--sandbox", action="store_true",
                             help="serve the sandbox workspace at /sandbox, where anyone can "
                             "act as anyone, ignoring any Slack settings (without them and "
                             "without CHANGEGATE_DATABASE_URL it is served anyway)")
    add_policy_arguments(commands, _add_policy)
    add_arguments(commands, _add_policy)
    add_token_arguments(commands, _add_policy)
    add_client_arguments(commands)
    return parser


def _add_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="PATH",
        help="policy file (default: $CHANGEGATE_POLICY, else changegate.yaml); "
        "the default database is next to it",
    )


def serve(settings: Settings, policy: Policy) -> int:
    """Open the database, then serve Slack or the sandbox workspace (bot/serve_mode.py) until
    SIGINT or SIGTERM."""
    try:
        settings = serve_settings(settings)
    except SettingsError as exc:
        return fail(str(exc))

    async def start() -> None:
        await create_database(settings.database_url)
        if settings.sandbox:
            await run_sandbox(settings, policy)
        else:
            await run_server(settings, policy.version)

    try:
        asyncio.run(start())
    except (DatabaseError, ServerError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signal
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
