"""Who is in the sandbox workspace: a users file next to the policy, completed from the policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.sandbox.fakeslack.workspace import Workspace
from workflow.policy import Policy

DEFAULT_CHANNEL = ("C0CHANGES", "changes")
REQUESTER = "U0REQUESTER"
TOP_KEYS = ("workspace", "channels", "users", "usergroups")
CHANNEL_KEYS = ("id", "name", "default")
USER_KEYS = ("id", "name", "real_name", "title", "tz")
GROUP_KEYS = ("id", "handle", "members")


class DirectoryError(ValueError):
    """The users file is malformed; the message names the file, the key and the fix."""


@dataclass
class Directory:
    """The workspace to serve and the channel for cards of workflows that name none."""

    workspace: Workspace
    default_channel: str
    source: str


def users_file(policy_path: Path) -> Path:
    """Where the sandbox looks for people: `<policy name>-users.yaml` beside the policy."""
    return policy_path.with_name(f"{policy_path.stem}-users.yaml")


def load_directory(policy: Policy, policy_path: Path) -> Directory:
    """The users file if there is one, plus every person and user group the policy names."""
    path = users_file(policy_path)
    directory = _read(path) if path.is_file() else _empty()
    _complete(directory.workspace, policy, directory.default_channel)
    return directory


def _empty() -> Directory:
    workspace = Workspace(team_name="ChangeGate Sandbox", domain="changegate-sandbox")
    workspace.add_channel(*DEFAULT_CHANNEL)
    workspace.add_user(REQUESTER, "requester", "UTC", real_name="Requester",
                       title="in no approver group")
    return Directory(workspace, DEFAULT_CHANNEL[0], "the policy file (no users file)")


def _complete(workspace: Workspace, policy: Policy, default_channel: str) -> None:
    """Add the policy's people, user groups and workflow channels the file did not list."""
    for group in policy.groups.values():
        for member in sorted(group.members or ()):
            _person(workspace, member, member.lower(), "UTC")
        if group.slack_usergroup and group.slack_usergroup not in workspace.usergroups:
            workspace.add_usergroup(group.slack_usergroup, group.name, [])
    for workflow in policy.workflows:
        if workflow.channel and workflow.channel not in workspace.channels:
            workspace.add_channel(workflow.channel, workflow.name)
    workspace.add_channel(default_channel)
    for user in list(workspace.users):
        workspace.dm_with(user)  # every member has a conversation with an installed app


def _person(workspace: Workspace, user_id: str, name: str, tz: str, real_name: str = "",
            title: str = "") -> None:
    """Register someone with the UTC offset their time zone has today."""
    offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset() if tz != "UTC" else None
    seconds = int(offset.total_seconds()) if offset is not None else 0
    workspace.add_user(user_id, name, tz, seconds, real_name=real_name, title=title)


def _read(path: Path) -> Directory:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError(f"{path}: cannot read the sandbox users file: {exc}") from None
    top = _mapping(data, path, "top level", TOP_KEYS)
    workspace = Workspace(team_name=str(top.get("workspace") or "ChangeGate Sandbox"),
                          domain="changegate-sandbox")
    default = ""
    for index, item in enumerate(_list(top, path, "channels")):
        channel = _mapping(item, path, f"channels[{index}]", CHANNEL_KEYS)
        workspace.add_channel(_text(channel, path, f"channels[{index}]", "id"),
                              _text(channel, path, f"channels[{index}]", "name"))
        if channel.get("default") or not default:
            default = str(channel["id"])
    for index, item in enumerate(_list(top, path, "users")):
        where = f"users[{index}]"
        user = _mapping(item, path, where, USER_KEYS)
        tz = str(user.get("tz") or "UTC")
        try:
            _person(workspace, _text(user, path, where, "id"), _text(user, path, where, "name"),
                    tz, str(user.get("real_name") or ""), str(user.get("title") or ""))
        except (ZoneInfoNotFoundError, ValueError):
            raise DirectoryError(f"{path}: {where}.tz: unknown time zone {tz!r}; use a name "
                                 "such as Europe/Berlin (without a time zone database on this "
                                 "machine, `pip install tzdata`)") from None
    for index, item in enumerate(_list(top, path, "usergroups")):
        where = f"usergroups[{index}]"
        group = _mapping(item, path, where, GROUP_KEYS)
        members = group.get("members") or []
        unknown = [m for m in members if m not in workspace.users]
        if not isinstance(members, list) or unknown:
            raise DirectoryError(f"{path}: {where}.members: list user ids from `users` "
                                 f"(not listed: {', '.join(map(str, unknown)) or members})")
        workspace.add_usergroup(_text(group, path, where, "id"),
                                _text(group, path, where, "handle"), [str(m) for m in members])
    if not default:
        workspace.add_channel(*DEFAULT_CHANNEL)
        default = DEFAULT_CHANNEL[0]
    return Directory(workspace, default, str(path))


def _mapping(value: Any, path: Path, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DirectoryError(f"{path}: {where}: write a mapping with keys {', '.join(keys)}")
    unknown = sorted(set(map(str, value)) - set(keys))
    if unknown:
        raise DirectoryError(f"{path}: {where}: unknown key {unknown[0]!r}; "
                             f"allowed keys: {', '.join(keys)}")
    return value


def _list(top: dict[str, Any], path: Path, key: str) -> list[Any]:
    value = top.get(key) or []
    if not isinstance(value, list):
        raise DirectoryError(f"{path}: {key}: write a list")
    return value


def _text(node: dict[str, Any], path: Path, where: str, key: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DirectoryError(f"{path}: {where}.{key}: is missing; write it as text")
    return value.strip()
