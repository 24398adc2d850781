"""Command line: `serve` the bot, the policy tools (`check`, `init`, `policy explain`), the
`db`, `audit`, `token` and `outbox` tools, the pipeline client (`submit`, `wait`, `dry-run`,
`apply`, `result`) and a person's (`review`, `edit`, `list`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING

from bot.cli.changes import add_change_arguments
from bot.cli.database import add_arguments
from bot.cli.fail import fail
from bot.cli.outbox import add_outbox_arguments
from bot.cli.pipeline import add_client_arguments
from bot.cli.policy import add_policy_arguments
from bot.cli.report import add_report_arguments
from bot.cli.review import add_review_arguments
from bot.cli.tokens import add_token_arguments
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from workflow.policy import Policy

Command = Callable[[Settings, argparse.Namespace], int]
EXIT_BROKEN_PIPE = 141  # as for a process that SIGPIPE ended


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit code: 0 on success, 1 on any error."""
    args = _parser().parse_args(argv)
    command: Command = args.command
    try:
        settings = Settings.load(os.environ, policy=args.policy,
                                 sandbox=getattr(args, "sandbox", False),
                                 role=getattr(args, "role", None))
    except SettingsError as exc:
        return fail(str(exc))
    try:
        return command(settings, args)
    except BrokenPipeError:  # the reader went away (`audit export | head`): end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _with_policy(command: Callable[[Settings, Policy], int]) -> Command:
    """A command that needs the policy file loaded and valid first."""

    def run(settings: Settings, _: argparse.Namespace) -> int:
        from workflow.policy import PolicyError, load_policy

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
    parser.add_argument("--version", action="version",
                        version=f"changegate {version('changegate')}")
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
            sub.add_argument("--role", metavar="{web,relay,all}",
                             help="what this process runs (default: $CHANGEGATE_ROLE, else "
                             "all): web serves Slack's requests, the API and the timers and "
                             "leaves Slack delivery to a relay process on the same database; "
                             "relay delivers the outbox to Slack and serves only health "
                             "checks; all does both (the sandbox runs all only)")
    add_policy_arguments(commands, _add_policy)
    add_arguments(commands, _add_policy)
    add_token_arguments(commands, _add_policy)
    add_outbox_arguments(commands, _add_policy)
    add_client_arguments(commands)
    add_review_arguments(commands)
    add_change_arguments(commands)
    add_report_arguments(commands)
    return parser


def _add_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="PATH",
        help="policy file (default: $CHANGEGATE_POLICY, else changegate.yaml); "
        "the default database is next to it",
    )


def serve(settings: Settings, policy: Policy) -> int:
    """Serve until SIGINT or SIGTERM (bot/cli/serve.py, imported only when serving)."""
    from bot.cli.serve import serve as run

    return run(settings, policy)


if __name__ == "__main__":
    sys.exit(main())
