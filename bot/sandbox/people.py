"""Who is in the sandbox, kept in step while it runs: a person the policy in force newly names
(after a reload) and an edit of the users file show up without a restart.

The policy's version and the users file's mtime, size and content are compared with those last
read; when either differs, the directory is read again and the live workspace brought in step.
The sandbox looks when its page asks for the state, right after a policy reload, and every
CHANGEGATE_POLICY_WATCH_SECONDS as the policy watcher does (bot/policy_reload.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.policy_reload import FileSeen, file_seen, watch_interval
from bot.sandbox.directory import Directory, DirectoryError, load_directory, users_file
from bot.sandbox.fakeslack.workspace import Workspace
from workflow.policy import Policy
from workflow.tasks import cancel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Moved:
    """A user group whose members the new directory changed."""

    usergroup: str
    added: list[str]
    removed: list[str]

    def event(self, team_id: str, now: float) -> dict[str, Any]:
        """The subteam_members_changed event Slack sends for it."""
        return {"type": "subteam_members_changed", "subteam_id": self.usergroup,
                "team_id": team_id, "date_update": int(now),
                "added_users": self.added, "added_users_count": str(len(self.added)),
                "removed_users": self.removed, "removed_users_count": str(len(self.removed)),
                "event_ts": f"{now:.6f}"}


class People:
    """Reads the sandbox's directory (bot/sandbox/directory.py) again when its sources changed."""

    def __init__(self, policy_path: Path) -> None:
        self.policy_path = policy_path
        self._seen: tuple[str, FileSeen] | None = None

    def load(self, policy: Policy) -> Directory:
        """The directory for `policy` and the users file as they are now; DirectoryError when
        the file is malformed."""
        seen = self._sources(policy)
        directory = load_directory(policy, self.policy_path)
        self._seen = seen
        return directory

    def reread(self, policy: Policy, workspace: Workspace) -> list[Moved] | None:
        """Bring `workspace` in step when `policy` or the users file changed since last read:
        None when neither did (or the file is malformed now: logged, and the people stay as
        they were), else the user groups whose members changed."""
        seen = self._sources(policy)
        if seen == self._seen:
            return None
        self._seen = seen
        try:
            directory = load_directory(policy, self.policy_path)
        except DirectoryError as exc:
            log.error("sandbox users file refused, the people stay as they were: %s", exc)
            return None
        moved = merge(workspace, directory.workspace)
        log.warning("sandbox people read again from %s: %d people, %d user groups",
                    directory.source, len(workspace.users), len(workspace.usergroups))
        return moved

    def _sources(self, policy: Policy) -> tuple[str, FileSeen]:
        return policy.version, file_seen(users_file(self.policy_path))


def merge(live: Workspace, new: Workspace) -> list[Moved]:
    """Make `live` (the workspace the fake serves) have `new`'s people, user groups and
    channels; a channel no longer listed stays, with what was posted in it. Returns the user
    groups whose members changed."""
    live.team_name = new.team_name
    live.users.clear()
    live.users.update(new.users)
    moved = []
    for group_id in sorted(set(live.usergroups) | set(new.usergroups)):
        before = set(live.usergroups[group_id].users) if group_id in live.usergroups else set()
        after = set(new.usergroups[group_id].users) if group_id in new.usergroups else set()
        if before != after:
            moved.append(Moved(group_id, sorted(after - before), sorted(before - after)))
    live.usergroups.clear()
    live.usergroups.update(new.usergroups)
    for channel in new.channels.values():
        if channel.user is None:
            live.add_channel(channel.id, channel.name).name = channel.name
    for user in live.users:
        live.dm_with(user)
    return moved


@contextlib.asynccontextmanager
async def watching(refresh: Callable[[], Awaitable[object]], interval_s: float | None = None,
                   sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
                   ) -> AsyncIterator[None]:
    """While serving: `refresh` every CHANGEGATE_POLICY_WATCH_SECONDS (0: never)."""
    interval_s = watch_interval() if interval_s is None else interval_s

    async def watch() -> None:
        while True:
            await sleep(interval_s)
            try:
                await refresh()
            except Exception as exc:  # logged; looked at again next time
                log.error("reading the sandbox's people again: %r", exc)

    watcher = asyncio.create_task(watch()) if interval_s > 0 else None
    try:
        yield
    finally:
        if watcher is not None:
            await cancel(watcher)
