"""Card updates coalesced per card: the latest render wins and at most one chat.update of a
card is in flight. When Slack's chat.update budget (Tier 3) has room the update goes out at once,
in the caller's task; otherwise it waits in the card's place, where a newer render replaces it,
and the card's own task sends it when the budget allows, rendered again from the state current
then: a render that waited must not land after a newer one another replica sent meanwhile.

A render may carry another way to the card that spends none of that budget (`via`: the
response_url of the click a person made on it). It goes out at once, even while the card's
chat.update waits for the budget or is queued at the pacer; one chat.update and one `via` post of
a card are in flight at most.

Under Slack's limits (`serial`) one chat.update of all cards is in flight at a time, sent only
once the budget has room: one queued at the pacer would count as in flight while the card moved
on, and land stale, to be corrected by another update the budget pays for again. Renders waiting
for their turn stay in their card's place, where a newer render or a `via` takes them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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
    """`update` a card with a render; `wait_s()` says how long until chat.update may go out;
    `serial` sends one chat.update of all cards at a time."""

    def __init__(self, send: Send, wait_s: Callable[[], float] = lambda: 0.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, *,
                 serial: bool = False) -> None:
        self._send = send
        self._wait_s = wait_s
        self._sleep = sleep
        self._gate = asyncio.Lock() if serial else None
        self._waiting: dict[Card, Render] = {}
        self._flying: dict[Card, Render] = {}  # chat.update sent, or queued at the pacer
        self._replacing: dict[Card, Render] = {}  # sent through a `via`
        self._busy: set[Card] = set()  # cards whose chat.update sender runs (inline or a task)
        self._newest: dict[Card, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._via_locks: weakref.WeakValueDictionary[Card, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def idle(self, channel: str, ts: str) -> bool:
        """Whether no update of the card is waiting or in flight."""
        card = (channel, ts)
        return card not in self._busy and card not in self._replacing

    async def update(self, channel: str, ts: str, render: Render) -> None:
        """Bring the card to `render`, unless a render of a later version came before it."""
        card = (channel, ts)
        if render.version < self._newest.get(card, render.version):
            return
        self._remember(card, render.version)
        if any(sending is not None and sending.printed == render.printed
               for sending in (self._flying.get(card), self._replacing.get(card))):
            self._waiting.pop(card, None)  # what is in flight already shows it
            return
        replaced = self._waiting.get(card)
        if render.via is None and replaced is not None and replaced.via is not None:
            render = replace(render, via=replaced.via)  # the unused way serves the newer one
        self._waiting[card] = render
        if render.via is not None:
            await self._replace(card)
        elif card not in self._busy:  # else its sender picks this render up next
            running = self._start(card, inline=self._wait_s() <= 0 and not self._turn_taken())
            if running is not None:
                await running

    async def settle(self) -> None:
        """Wait until every waiting update was sent (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Drop the updates still waiting for the budget (the process stops: the next one
        renders every copy from current state again)."""
        waiting = list(self._tasks)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)

    def _start(self, card: Card, *, inline: bool) -> Awaitable[None] | None:
        """Run the card's chat.update sender: at once in the caller's task while the budget
        has room (the caller awaits what this returns), else as the card's own task."""
        self._busy.add(card)
        if inline:
            return self._run(card, queued=False)
        task = asyncio.get_running_loop().create_task(self._run(card, queued=True),
                                                      name=f"card-{card[0]}-{card[1]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _run(self, card: Card, *, queued: bool) -> None:
        """Send the card's waiting render through chat.update, and any that replaced it
        meanwhile, one at a time, each in its turn; one that waited (`queued`, and every one
        after the first) goes out rendered afresh. A render with a `via` is left to that way."""
        try:
            while (waiting := self._waiting.get(card)) is not None and waiting.via is None:
                async with self._turn():
                    render = await self._due(card, queued)
                    sent = render is not None and await self._sent(card, render, self._flying)
                queued = True
                if render is not None and sent:  # told after the turn: it may update cards
                    await render.sent()
        finally:
            self._busy.discard(card)

    async def _due(self, card: Card, queued: bool) -> Render | None:
        """The card's render to send now, once chat.update has room; None if none is left
        for chat.update (sent, or taken by a `via` that came in meanwhile)."""
        while (wait := self._wait_s()) > 0:
            await self._sleep(wait)
            queued = True
        render = self._waiting.pop(card, None)
        if render is not None and render.via is not None:
            self._waiting[card] = render  # came in while this waited: its way takes it
            return None
        if queued and render is not None and render.fresh is not None:
            return await render.fresh()
        return render

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This card's turn at chat.update: at once, or one card at a time when `serial`."""
        if self._gate is None:
            yield
            return
        async with self._gate:
            yield

    def _turn_taken(self) -> bool:
        """Whether another card's update has the turn: this one then waits in its own task."""
        return self._gate is not None and self._gate.locked()

    async def _replace(self, card: Card) -> None:
        """Send the card's waiting render through its `via` now, whatever chat.update is doing
        (an update queued at the pacer can take minutes): a render that lands late is followed
        by the current one (bot/slack/outbound/delivery.py). One `via` post of a card at a time;
        one Slack refuses waits for chat.update."""
        lock = self._via_locks.get(card)
        if lock is None:
            lock = self._via_locks[card] = asyncio.Lock()
        async with lock:
            render = self._waiting.get(card)
            if render is None or render.via is None:
                return  # sent meanwhile, or left to chat.update
            del self._waiting[card]
            sent = await self._sent(card, render, self._replacing)
            if sent is False:
                self._waiting.setdefault(card, replace(render, via=None))
                if card not in self._busy:
                    self._start(card, inline=False)
        if sent:  # told outside the lock: what it does may send this card again
            await render.sent()

    async def _sent(self, card: Card, render: Render, sending: dict[Card, Render]
                    ) -> bool | None:
        """Send one render by its way, unless a newer one went out first (None); whether it
        went through."""
        if render.version < self._newest.get(card, render.version):
            return None  # a newer render went out while this one was made
        self._remember(card, render.version)
        sending[card] = render
        try:
            if render.via is not None:
                await render.via(render.message)
            else:
                await self._send(card[0], card[1], render.message)
        except SlackApiError as exc:
            log.warning("card at %s/%s not updated: %s", card[0], card[1],
                        exc.response.get("error"))
            return False
        except Exception:  # Slack unreachable, a closed session at shutdown, a used-up url
            log.exception("card at %s/%s not updated", card[0], card[1])
            return False
        finally:
            del sending[card]
        return True

    def _remember(self, card: Card, version: int) -> None:
        self._newest.pop(card, None)
        self._newest[card] = version
        if len(self._newest) > REMEMBERED:
            del self._newest[next(iter(self._newest))]
