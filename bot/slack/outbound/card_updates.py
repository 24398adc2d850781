"""Card updates coalesced per card: the latest render wins and at most one chat.update of a
card is in flight. When Slack's chat.update budget (Tier 3) has room the update goes out at once,
in the caller's task; otherwise it waits in the card's place, where a newer render replaces it,
and the card's own task sends it when the budget allows, rendered again from the state current
then: a render that waited must not land after a newer one another replica sent meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
REMEMBERED = 5000  # cards whose latest version is kept, so an older render never overtakes
Card = tuple[str, str]  # channel, ts
Send = Callable[[str, str, Mapping[str, Any]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Render:
    """One rendering of a card: the change's version it shows, its fingerprint, the message."""

    version: int
    printed: str
    message: Mapping[str, Any]
    sent: Callable[[], None]  # told once Slack shows it
    # The card rendered again from current state, for a render that waited (None: gone).
    fresh: Callable[[], Awaitable[Render | None]] | None = None


class CardUpdates:
    """`update` a card with a render; `wait_s()` says how long until chat.update may go out."""

    def __init__(self, send: Send, wait_s: Callable[[], float] = lambda: 0.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._send = send
        self._wait_s = wait_s
        self._sleep = sleep
        self._waiting: dict[Card, Render] = {}
        self._flying: dict[Card, Render] = {}
        self._busy: set[Card] = set()  # cards whose sender runs (inline or as a task)
        self._newest: dict[Card, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def idle(self, channel: str, ts: str) -> bool:
        """Whether no update of the card is waiting or in flight."""
        return (channel, ts) not in self._busy

    async def update(self, channel: str, ts: str, render: Render) -> None:
        """Bring the card to `render`, unless a render of a later version came before it."""
        card = (channel, ts)
        if render.version < self._newest.get(card, render.version):
            return
        self._remember(card, render.version)
        flying = self._flying.get(card)
        if flying is not None and flying.printed == render.printed:
            self._waiting.pop(card, None)  # what is in flight already shows it
            return
        self._waiting[card] = render
        if card in self._busy:  # its sender picks this render up next
            return
        self._busy.add(card)
        if self._wait_s() <= 0:
            await self._run(card, queued=False)
        else:
            task = asyncio.get_running_loop().create_task(self._run(card, queued=True),
                                                          name=f"card-{channel}-{ts}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every waiting update was sent (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _run(self, card: Card, *, queued: bool) -> None:
        """Send the card's waiting render, and any that replaced it meanwhile, one at a time;
        one that waited (`queued`, and every one after the first) goes out rendered afresh."""
        try:
            while card in self._waiting:
                if queued:
                    while (wait := self._wait_s()) > 0:
                        await self._sleep(wait)
                render: Render | None = self._waiting.pop(card, None)
                if queued and render is not None and render.fresh is not None:
                    render = await render.fresh()
                queued = True
                if render is None:
                    continue
                self._remember(card, render.version)
                self._flying[card] = render
                try:
                    await self._send(card[0], card[1], render.message)
                except SlackApiError as exc:
                    log.warning("card at %s/%s not updated: %s", card[0], card[1],
                                exc.response.get("error"))
                except Exception:  # Slack unreachable, a closed session at shutdown
                    log.exception("card at %s/%s not updated", card[0], card[1])
                else:
                    render.sent()
                finally:
                    del self._flying[card]
        finally:
            self._busy.discard(card)

    def _remember(self, card: Card, version: int) -> None:
        self._newest.pop(card, None)
        self._newest[card] = version
        if len(self._newest) > REMEMBERED:
            del self._newest[next(iter(self._newest))]
