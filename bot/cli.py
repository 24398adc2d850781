"""Command line: `serve` the bot, `check` a policy file, and the `db`, `audit` and `token` tools."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence

from bot.database_commands import add_arguments, fail
from bot.sandbox.serve import run_sandbox
from bot.server import ServerError, run_server
from bot.settings import Settings, SettingsError
from bot.token_commands import add_token_arguments
from storage.database import DatabaseError, create_database
from workflow.model import Stage
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
        ("check", check, "validate a policy file and summarise it"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_policy(sub)
        sub.set_defaults(command=_with_policy(command))
        if name == "serve":
            sub.add_argument("--sandbox", action="store_true",
                             help="serve the sandbox workspace at /sandbox even with Slack "
                             "settings (it is served anyway without SLACK_BOT_TOKEN)")
    add_arguments(commands, _add_policy)
    add_token_arguments(commands, _add_policy)
    return parser


def _add_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="PATH",
        help="policy file (default: $CHANGEGATE_POLICY, else changegate.yaml); "
        "the default database is next to it",
    )


def serve(settings: Settings, policy: Policy) -> int:
    """Open the database, then serve (the sandbox workspace without Slack) until SIGINT or
    SIGTERM."""

    async def start() -> None:
        await create_database(settings.database_url)
        if settings.serves_sandbox:
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


def check(settings: Settings, policy: Policy) -> int:
    """Print a short summary of a valid policy file."""
    print(f"{settings.policy_path}: valid")
    print(f"version: {policy.version}")
    print(f"groups ({len(policy.groups)}): {', '.join(sorted(policy.groups)) or 'none'}")
    print("workflows by priority (the lowest number that matches wins):")
    for workflow in sorted(policy.workflows, key=lambda w: w.priority):
        print(f"  {workflow.priority:>4}  {workflow.name}: {_describe_stages(workflow.stages)}")
    return 0


def _describe_stages(stages: Sequence[Stage]) -> str:
    if not stages:
        return "no approval required"
    return "; then ".join(_describe_stage(stage) for stage in stages)


def _describe_stage(stage: Stage) -> str:
    needs = " and ".join(f"{r.count} of {r.group}" for r in stage.requirements)
    return f"{stage.name} ({needs})" if stage.name else needs


if __name__ == "__main__":
    sys.exit(main())
