"""Cards follow commits as fast as Slack's chat.update budget allows, apart from the outbox: the
relay posts each event's thread reply and DMs at one message a second per channel, and a card
waiting behind those would show its final state long after the budget had room for it. Each
committed change is marked; as chat.update has room, the change marked longest ago has its posted
copies re-rendered from current state (bot/slack/outbound/card_updates.py coalesces them per
card). A change another replica committed since is left to that replica's follower: each copy
then costs the shared budget one update for the last commit, not one per replica that made one;
should that replica stop first, or the commit come from a process without a follower (the CLI),
the relay still syncs the cards."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.slack.outbound.pacing import SlackPacer, Sleep
from workflow.model import ChangeRequest

log = logging.getLogger(__name__)
UPDATE = "chat.update"


class CardFollower:
    """`committed` is an engine commit observer; `follow(change_id, version)` re-renders posted
    copies unless a commit after `version` (the latest made here) was made elsewhere."""

    def __init__(self, follow: Callable[[str, int], Awaitable[None]], pacer: SlackPacer,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._follow = follow
        self._pacer = pacer
        self._sleep = sleep
        # Oldest first, a change marked once, with the latest version committed here.
        self._marked: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def committed(self, changes: Sequence[ChangeRequest]) -> None:
        for cr in changes:
            self._marked[cr.id] = max(cr.version, self._marked.get(cr.id, cr.version))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cards")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> None:
        """Wait for chat.update to have room, then follow the change marked longest ago."""
        while (wait := self._pacer.wait_s(UPDATE)) > 0:
            await self._sleep(wait)
        if self._marked:
            change_id = next(iter(self._marked))
            version = self._marked.pop(change_id)
            try:
                await self._follow(change_id, version)
            except Exception:  # the database or Slack away: the relay still syncs the card
                log.exception("card of %s not followed", change_id)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._marked:
                await self.run_once()
