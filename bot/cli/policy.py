"""`changegate check [--live]`, `init` and `policy explain`: the policy author's tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.fail import fail
from bot.cli.policy_explain import Question, explain, render
from bot.cli.sandbox_people import (
    SandboxPeople,
    SandboxPeopleError,
    sandbox_people,
    users_file_beside,
)
from bot.cli.starter_policy import STARTER_POLICY
from bot.settings import Settings
from workflow.model import Risk, Stage
from workflow.policy import Policy, PolicyError, load_policy
from workflow.policy_reach import reach_warnings

if TYPE_CHECKING:  # Slack's client is imported only by `check --live`
    from bot.slack_sizes import UsergroupSize
    from storage.sql.engines import Database

AddPolicy = Callable[[argparse.ArgumentParser], None]
NAME_A_POLICY = "pass --policy PATH (or set CHANGEGATE_POLICY)"


def add_policy_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                         add_policy: AddPolicy) -> None:
    """Add `check`, `init` and the `policy` command group to the top-level parser."""
    check_help = "validate a policy file and summarise it"
    check = commands.add_parser("check", help=check_help, description=check_help)
    check.add_argument("--live", action="store_true",
                       help="also read the sizes of the Slack user groups the policy names "
                            "(SLACK_BOT_TOKEN, SLACK_API_URL) and check the counts against them")
    check.add_argument("--in-flight", action="store_true",
                       help="also name the changes in flight in the database "
                            "(CHANGEGATE_DATABASE_URL, else the one beside the file) that keep a "
                            "group or executor this file removes or redefines")
    check.add_argument("--json", action="store_true", help="print JSON for machines")
    check.set_defaults(command=check_policy)

    init_help = "write a starter policy file (valid, commented)"
    init = commands.add_parser("init", help=init_help, description=init_help)
    init.add_argument("--path", metavar="PATH",
                      help="where to write it (default: $CHANGEGATE_POLICY, else changegate.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--json", action="store_true", help="print JSON for machines")
    init.set_defaults(command=init_policy, policy=None)

    policy = commands.add_parser("policy", help="ask what the policy does",
                                 description="ask what the policy does")
    policy_commands = policy.add_subparsers(required=True, metavar="COMMAND")
    explain_help = "which workflow a change would get, its stages, who may submit and approve"
    why = policy_commands.add_parser("explain", help=explain_help, description=explain_help)
    why.add_argument("--risk", required=True, choices=[r.value for r in Risk])
    why.add_argument("--family", required=True, help="e.g. bgp, dns.zone, firewall")
    why.add_argument("--action", required=True, help="e.g. add, update, delete, reload")
    why.add_argument("--target", required=True, help="device, zone or tenant")
    why.add_argument("--labels", action="append", default=[], metavar="LABEL,…",
                     help="labels of the change, comma-separated or repeated (env=prod)")
    why.add_argument("--user", metavar="U…",
                     help="a Slack user id: may they submit it, could they approve it")
    why.add_argument("--json", action="store_true", help="print JSON for machines")
    why.set_defaults(command=explain_policy)
    for parser in (check, why):
        add_policy(parser)
        parser.add_argument("--sandbox", action="store_true",
                            help="as the sandbox serves the policy: with the people, Slack user "
                            "groups and channels of its users file (NAME-users.yaml beside "
                            "NAME.yaml), and the sandbox's database for --in-flight")


def load(settings: Settings, as_json: bool = False, sizes: dict[str, int] | None = None,
         live: bool = False) -> Policy | int:
    """The valid policy, or the exit code after listing every problem of the file (or saying
    how to name one, when there is no file)."""
    if not settings.policy_path.exists():
        missing = (f"policy file {settings.policy_path} does not exist: {NAME_A_POLICY}, or "
                   "write a starter policy with `changegate init`")
        if as_json:
            print(json.dumps({"path": str(settings.policy_path), "valid": False,
                              "errors": [missing]}))
        return fail(missing)
    try:
        return load_policy(settings.policy_path, usergroup_sizes=sizes)
    except PolicyError as exc:
        if as_json:
            print(json.dumps({"path": str(settings.policy_path), "valid": False,
                              "errors": exc.errors}))
        n = len(exc.errors)
        against = " against live Slack user group sizes" if live else ""
        header = (f"policy file {settings.policy_path} has {n} problem{'s' if n != 1 else ''}"
                  f"{against}:")
        return fail(header, *exc.errors)


def in_flight_kept_apart(settings: Settings, policy: Policy) -> list[str] | int:
    """What `check --in-flight` warns of: the lines a reload to `policy` would log."""
    from bot.cli.operator_database import with_database
    from bot.kept_apart import in_flight
    from storage.sql.api_reads import SqlApiReads
    from workflow.policy_drift import kept_apart

    found: list[str] = []

    async def read(db: Database) -> int:
        found.extend(kept_apart(policy, await in_flight(SqlApiReads(db))))
        return 0

    code = with_database(settings, read)
    return found if code == 0 else code


def check_policy(settings: Settings, args: argparse.Namespace) -> int:
    """Validate the file; with --live, validate it again with Slack's user group sizes."""
    from bot.slack_sizes import SlackLookupError, sizes_by_id, slack_groups, usergroup_sizes

    policy = load(settings, args.json)
    if isinstance(policy, int):
        return policy
    if args.live and settings.sandbox:
        return fail("check --live asks Slack who is in each user group, --sandbox reads the "
                    "sandbox's users file: give one of them")
    sizes: list[UsergroupSize] | None = None
    if args.live and not slack_groups(policy):
        sizes = []  # nothing to ask Slack about
    elif args.live:
        if settings.slack_bot_token is None:
            return fail("check --live reads Slack user group sizes and needs SLACK_BOT_TOKEN "
                        "(a xoxb- bot token with the usergroups:read scope); it is not set")
        try:
            sizes = asyncio.run(usergroup_sizes(policy, settings.slack_bot_token,
                                                settings.slack_api_url))
        except SlackLookupError as exc:
            return fail(str(exc))
        unknown = [f"{policy.source}: groups.{s.group}.slack_usergroup: Slack answered "
                   f"{s.error} for {s.usergroup}; check the user group id"
                   for s in sizes if s.error]
        if unknown:
            if args.json:
                print(json.dumps({"path": str(settings.policy_path), "valid": False,
                                  "errors": unknown}))
            return fail(f"policy file {settings.policy_path} names Slack user groups that Slack "
                        "cannot list:", *unknown)
        policy = load(settings, args.json, dict(sizes_by_id(sizes)), live=True)
        if isinstance(policy, int):
            return policy
    channel = settings.slack_channel
    known = None if sizes is None else dict(sizes_by_id(sizes))
    sandbox: dict[str, str] | None = None
    if settings.sandbox:  # its cards go to the users file's channel, whatever SLACK_CHANNEL says
        people = _sandbox_people(settings, policy)
        if isinstance(people, int):
            return people
        channel = people.channel
        known = {gid: len(members) for gid, members in people.usergroups.items()}
        sandbox = {"users": people.source, "channel": people.channel}
    warnings = reach_warnings(policy.workflows, policy.groups, str(settings.policy_path),
                              channel, known)
    beside = users_file_beside(settings.policy_path) if warnings and not sandbox else None
    if args.in_flight:
        kept = in_flight_kept_apart(settings, policy)
        if isinstance(kept, int):
            return kept
        warnings += kept
    if args.json:
        print(json.dumps({**summary(settings.policy_path, policy, sizes), "warnings": warnings,
                          **({"sandbox": sandbox} if sandbox else {})}))
        return 0
    for line in describe(settings.policy_path, policy, sizes):
        print(line)
    if sandbox:
        print(f"as the sandbox serves it: people and Slack user groups from {sandbox['users']}; "
              f"cards of workflows that name no channel go to {sandbox['channel']}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if beside is not None:
        print(f"note: {beside} is beside the policy: `changegate check --sandbox` checks it as "
              "the sandbox serves it, with that file's people and channels", file=sys.stderr)
    return 0


def _sandbox_people(settings: Settings, policy: Policy) -> SandboxPeople | int:
    """The sandbox's people for this policy, or the exit code after saying what is wrong."""
    try:
        return sandbox_people(settings.policy_path, policy)
    except SandboxPeopleError as exc:
        return fail(str(exc))


def summary(path: Path, policy: Policy, sizes: Sequence[UsergroupSize] | None
            ) -> dict[str, Any]:
    """The valid policy for machines: version, groups, workflows by priority, live sizes."""
    return {
        "path": str(path), "valid": True, "version": policy.version,
        "groups": sorted(policy.groups),
        "workflows": [{"priority": w.priority, "name": w.name,
                       "stages": _describe_stages(w.stages)} for w in policy.workflows],
        "slack_usergroups": None if sizes is None else [
            {"group": s.group, "usergroup": s.usergroup, "size": s.size} for s in sizes],
    }


def describe(path: Path, policy: Policy, sizes: Sequence[UsergroupSize] | None) -> list[str]:
    """A short summary for people."""
    lines = [f"{path}: valid", f"version: {policy.version}",
             f"groups ({len(policy.groups)}): {', '.join(sorted(policy.groups)) or 'none'}",
             "workflows by priority (the lowest number that matches wins):"]
    for workflow in sorted(policy.workflows, key=lambda w: w.priority):
        lines.append(f"  {workflow.priority:>4}  {workflow.name}: "
                     f"{_describe_stages(workflow.stages)}")
    if sizes is not None:
        lines.append("Slack user groups (live): " + ("none in the policy" if not sizes else ""))
        lines += [f"  {s.group} ({s.usergroup}): {s.size} member{'s' if s.size != 1 else ''}"
                  for s in sizes]
    return lines


def _describe_stages(stages: Sequence[Stage]) -> str:
    if not stages:
        return "no approval required"
    return "; then ".join(_describe_stage(stage) for stage in stages)


def _describe_stage(stage: Stage) -> str:
    needs = " and ".join(f"{r.count} of {r.group}" for r in stage.requirements)
    return f"{stage.name} ({needs})" if stage.name else needs


def init_policy(settings: Settings, args: argparse.Namespace) -> int:
    """Write the starter policy; an existing file is kept unless --force."""
    path = Path(args.path) if args.path else settings.policy_path
    try:
        with open(path, "w" if args.force else "x", encoding="utf-8") as handle:
            handle.write(STARTER_POLICY)
    except FileExistsError:
        return fail(f"{path} already exists; keep it, or overwrite it with --force")
    except OSError as exc:
        return fail(f"cannot write {path}: {exc.strerror or exc}")
    policy = load_policy(path)
    if args.json:
        print(json.dumps({"path": str(path), "version": policy.version}))
        return 0
    print(f"wrote a starter policy to {path}")
    shown = "" if os.fspath(path) == "changegate.yaml" else f" --policy {path}"
    print(f"replace its example user ids, then run: changegate check{shown}", file=sys.stderr)
    return 0


def explain_policy(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when a workflow matches, 1 when the change would be refused (no workflow)."""
    policy = load(settings, args.json)
    if isinstance(policy, int):
        return policy
    labels = tuple(label.strip() for given in args.labels for label in given.split(",")
                   if label.strip())
    people = _sandbox_people(settings, policy) if settings.sandbox else None
    if isinstance(people, int):
        return people
    result = explain(policy, Question(Risk(args.risk), args.family, args.action, args.target,
                                      labels, args.user),
                     people.usergroups if people else None,
                     people.source if people else None)
    if args.json:
        print(json.dumps(result))
    else:
        for line in render(result):
            print(line)
        beside = (users_file_beside(settings.policy_path)
                  if people is None and result["slack_usergroups"] else None)
        if beside is not None:
            print(f"note: {beside} is beside the policy: `changegate policy explain --sandbox` "
                  "names the members it gives its Slack user groups", file=sys.stderr)
    return 0 if result["workflow"] is not None else 1
