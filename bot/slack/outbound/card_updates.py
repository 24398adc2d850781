"""Card updates coalesced per card: the latest render wins and at most one chat.update of a
card is in flight. When Slack's chat.update budget (Tier 3) has room the update goes out at once,
in the caller's task; otherwise it waits in the card's place, where a newer render replaces it,
and the card's own task sends it when the budget allows, rendered again from the state current
then: a render that waited must not land after a newer one another replica sent meanwhile.

A render may carry another way to the card that spends none of that budget (`via`: the
response_url of the click a person made on it). It goes out at once, even while the card's task
waits for the budget; every send of a card holds the card's lock, so two are never in flight."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)
REMEMBERED = 5000  # cards whose latest version is kept, so an older render never overtakes
Card = tuple[str, str]  # channel, ts
Send = Callable[[str, str, Mapping[str, Any]], Awaitable[object]]
Via = Callable[[Mapping[str, Any]], Awaitable[object]]  # replaces the card's message


@dataclass(frozen=True, slots=True)
class Render:
    """One rendering of a card: the change's version it shows, its fingerprint, the message."""

    version: int
    printed: str
    message: Mapping[str, Any]
    sent: Callable[[], Awaitable[None]]  # told once Slack shows it
    # The card rendered again from current state, for a render that waited (None: gone).
    fresh: Callable[[], Awaitable[Render | None]] | None = None
    via: Via | None = None  # a way to the card outside chat.update's budget, used once


class ResponseUrlRefused(Exception):
    """Slack refused a response_url post: used up, expired, or not a message's."""


def through_response_url(url: str, session: aiohttp.ClientSession | None = None) -> Via:
    """A `via` that replaces the message a click was made on, through the click's response_url
    (five uses within thirty minutes; no Web API method's budget)."""

    async def replace_card(message: Mapping[str, Any]) -> None:
        response = await AsyncWebhookClient(url, session=session).send_dict(
            {"replace_original": True, **message})
        if response.status_code != 200:
            raise ResponseUrlRefused(f"{response.status_code} {response.body}")

    return replace_card


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
        self._locks: weakref.WeakValueDictionary[Card, asyncio.Lock] = (
            weakref.WeakValueDictionary())

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
        replaced = self._waiting.get(card)
        if render.via is None and replaced is not None and replaced.via is not None:
            render = replace(render, via=replaced.via)  # the unused way serves the newer one
        self._waiting[card] = render
        if card in self._busy:  # its sender picks this render up next
            if render.via is not None and card not in self._flying:
                await self._send_waiting(card, fresh=False)  # its sender waits for the budget
            return
        self._busy.add(card)
        if render.via is not None or self._wait_s() <= 0:
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
        one that waited (`queued`, and every one after the first) goes out rendered afresh,
        when chat.update has room or at once through its `via`."""
        try:
            while card in self._waiting:
                if queued:
                    while (wait := self._wait_s()) > 0 and not self._via_waits(card):
                        await self._sleep(wait)
                await self._send_waiting(card, fresh=queued)
                queued = True
        finally:
            self._busy.discard(card)

    def _via_waits(self, card: Card) -> bool:
        waiting = self._waiting.get(card)
        return waiting is not None and waiting.via is not None

    async def _send_waiting(self, card: Card, *, fresh: bool) -> None:
        """Send what waits for the card, holding its lock; a render that failed through its
        `via` waits again for chat.update."""
        lock = self._locks.get(card)
        if lock is None:
            lock = self._locks[card] = asyncio.Lock()
        async with lock:
            render: Render | None = self._waiting.pop(card, None)
            if fresh and render is not None and render.via is None and render.fresh is not None:
                render = await render.fresh()
            if render is None or render.version < self._newest.get(card, render.version):
                return  # gone, or a newer render went out while this one was made
            self._remember(card, render.version)
            self._flying[card] = render
            try:
                if render.via is not None:
                    await render.via(render.message)
                else:
                    await self._send(card[0], card[1], render.message)
            except SlackApiError as exc:
                log.warning("card at %s/%s not updated: %s", card[0], card[1],
                            exc.response.get("error"))
            except Exception:  # Slack unreachable, a closed session at shutdown, a used-up url
                log.exception("card at %s/%s not updated", card[0], card[1])
                if render.via is not None:
                    self._waiting.setdefault(card, replace(render, via=None))
            else:
                await render.sent()
            finally:
                del self._flying[card]

    def _remember(self, card: Card, version: int) -> None:
        self._newest.pop(card, None)
        self._newest[card] = version
        if len(self._newest) > REMEMBERED:
            del self._newest[next(iter(self._newest))]
