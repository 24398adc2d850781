"""Who the sandbox would serve a policy to, for `check --sandbox` and `policy explain --sandbox`:
the users file beside the policy (bot/sandbox/directory.py, read as `serve --sandbox` reads it),
so the policy tools know the sandbox's Slack user groups and its channel for cards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workflow.policy import Policy


@dataclass(frozen=True, slots=True)
class SandboxPeople:
    """The sandbox's members of each Slack user group, and the channel of workflows naming
    none; `source` is the users file read (or says there was none)."""

    source: str
    channel: str
    usergroups: Mapping[str, frozenset[str]]


class SandboxPeopleError(ValueError):
    """The users file is malformed; the message names the file, the key and the fix."""


def sandbox_people(policy_path: Path, policy: Policy) -> SandboxPeople:
    """The users file beside the policy, completed from the policy as the sandbox completes it."""
    from bot.sandbox.directory import DirectoryError, load_directory  # only with --sandbox

    try:
        directory = load_directory(policy, policy_path)
    except DirectoryError as exc:
        raise SandboxPeopleError(str(exc)) from None
    groups = directory.workspace.usergroups
    return SandboxPeople(directory.source, directory.default_channel,
                         {gid: frozenset(group.users) for gid, group in groups.items()})


def users_file_beside(policy_path: Path) -> Path | None:
    """The sandbox's users file of this policy, when there is one: a hint to use --sandbox."""
    from bot.sandbox.directory import users_file

    path = users_file(policy_path)
    return path if path.is_file() else None
