"""Every posted copy of a change's card shows the change's current state. One component owns it:
commits come in by one route (`committed`, the engine's after-commit hook, which also carries the
gestures to answer), the relay asks it to bring a change's posted copies in line
(`update_copies`), and how a copy is reached is chosen once, when the component is built:

- `unpaced` (no rate limits kept: a fake Slack, the sandbox's own): every copy follows through
  chat.update, sent by the relay after each commit.
- `paced` (serve's default, Slack's limits kept): the copy a person decided from takes their
  click's response_url at once, outside chat.update's budget; every copy follows the commit as
  chat.update has room (bot/slack/outbound/card_follower.py), one update in flight at a time;
  what each copy shows is stored after every update, so no replica sends a copy what another
  already made it show.

Updates of one card are coalesced (bot/slack/outbound/card_updates.py): the latest render wins.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.outbound.card_follower import UPDATE, CardFollower
from bot.slack.outbound.card_updates import (
    CardUpdates,
    Render,
    Send,
    Via,
    through_response_url,
)
from bot.slack.outbound.pacing import SlackPacer, Sleep
from bot.slack.outbound.people import People
from bot.slack.rendering.card import render_card
from bot.slack.rendering.card_context import CardContext, Message
from bot.slack.rendering.modals import Clicked
from storage.ports.cards import Audience, CardRef, CardStore
from storage.ports.change_queries import ChangeQueries
from workflow.gesture import Reply
from workflow.model import ChangeRequest
from workflow.ports import Clock

log = logging.getLogger(__name__)
REMEMBERED = 5000  # copies whose fingerprint this process remembers


def fingerprint(message: Message) -> str:
    """What a copy shows, so an unchanged card is not sent again."""
    body = json.dumps({"text": message.text, "blocks": message.blocks}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Mode:
    """How copies are reached, chosen once by whether Slack's limits are kept."""

    answers_clicks: bool  # the deciding click's copy through its response_url
    stores_shown: bool  # what each copy shows is stored after every update (replicas share it)


UNPACED = Mode(answers_clicks=False, stores_shown=False)
PACED = Mode(answers_clicks=True, stores_shown=True)


class CardSync:
    """Brings posted copies to their change's current state; `committed` is the route in."""

    def __init__(self, client: AsyncWebClient, changes: ChangeQueries, cards: CardStore,
                 people: People, clock: Clock, updates: CardUpdates, mode: Mode, *,
                 pacer: SlackPacer | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self._client = client
        self._changes = changes
        self._cards = cards
        self._people = people
        self._clock = clock
        self.updates = updates
        self._mode = mode
        self._follower = CardFollower(self.follow, pacer, sleep) if pacer is not None else None
        self._answering: set[asyncio.Task[None]] = set()
        # What each copy shows since its last update here. Unpaced only a post is stored (with
        # what it showed then): storing every update would queue each delivery behind the
        # database's writer; after a restart a copy is at worst updated once more.
        self._shown: dict[tuple[str, str], str] = {}
        # Copies an older render may have landed on after a newer one's fingerprint was stored:
        # what is stored is not trusted for them until a render lands again.
        self._doubted: set[tuple[str, str]] = set()

    @classmethod
    def unpaced(cls, client: AsyncWebClient, changes: ChangeQueries, cards: CardStore,
                people: People, clock: Clock) -> CardSync:
        """Every copy through chat.update, as soon as the relay asks."""
        return cls(client, changes, cards, people, clock, CardUpdates(_chat_update(client)),
                   UNPACED)

    @classmethod
    def paced(cls, client: AsyncWebClient, changes: ChangeQueries, cards: CardStore,
              people: People, clock: Clock, pacer: SlackPacer,
              sleep: Sleep = asyncio.sleep, *, follows: bool = True) -> CardSync:
        """Within chat.update's budget: clicks answered on their card, every copy followed
        after each commit made here (`follows`; a web process leaves that to its relay)."""
        updates = CardUpdates(_chat_update(client), lambda: pacer.wait_s(UPDATE), sleep,
                              serial=True)
        return cls(client, changes, cards, people, clock, updates, PACED,
                   pacer=pacer if follows else None, sleep=sleep)

    def committed(self, changes: Sequence[ChangeRequest]) -> None:
        """The after-commit hook: paced, the committed changes are followed and the decisions
        made from a card's click answered on it at once."""
        if self._follower is not None:
            self._follower.committed(changes)
        if self._mode.answers_clicks:
            for reply in getattr(changes, "replies", ()):
                self._answer_later(reply)

    async def settle(self) -> None:
        """Wait until every answer and update started was sent (tests, shutdown)."""
        while self._answering:
            await asyncio.gather(*list(self._answering), return_exceptions=True)
        await self.updates.settle()

    async def close(self) -> None:
        """Stop following commits and drop the updates waiting for chat.update's budget;
        answers in flight finish."""
        if self._follower is not None:
            await self._follower.close()
        await asyncio.gather(*list(self._answering), return_exceptions=True)
        await self.updates.close()

    async def base(self, cr: ChangeRequest) -> CardContext:
        """What every copy's rendering shares besides the change."""
        return CardContext(now=self._clock.now(), available=await self._people.available(cr),
                           anchor=await self._changes.anchor(cr.id),
                           settled=await self._changes.settled(cr.id),
                           ticket_url=self._people.policy().ticket_url)

    @staticmethod
    def render(cr: ChangeRequest, audience: Audience, base: CardContext) -> Message:
        """The copy for `audience`."""
        return render_card(cr, replace(base, audience=audience))

    async def update_copies(self, cr: ChangeRequest, refs: Sequence[CardRef],
                            base: CardContext | None = None) -> None:
        """Bring the posted copies `refs` to `cr`, each unless it already shows it."""
        if refs:
            base = base or await self.base(cr)
            for ref in refs:
                await self._update(cr, ref, base)

    async def follow(self, change_id: str, committed: int | None = None) -> None:
        """Bring the copies already posted to the change's current state, ahead of its events'
        thread replies and DMs; posting stays the relay's. Nothing is done when the change
        moved past version `committed` since: its later committer follows it."""
        cr = await self._changes.get(change_id)
        if cr is None or (committed is not None and cr.version > committed):
            return
        await self.update_copies(cr, [ref for ref in await self._cards.cards(change_id)
                                      if ref.ts])

    def _answer_later(self, reply: Reply) -> None:
        clicked = Clicked.from_reply(reply.to)
        if clicked is None:
            return
        task = asyncio.get_running_loop().create_task(self._answer(reply.change, clicked),
                                                      name=f"answer-{reply.change.id}")
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, cr: ChangeRequest, clicked: Clicked) -> None:
        """The card a person decided from shows their decision at once through the click's
        response_url, whatever chat.update's budget; the other copies follow as it allows."""
        try:
            refs = await self._cards.cards(cr.id)
            ref = next((r for r in refs if (r.channel, r.ts) == (clicked.channel, clicked.ts)),
                       None)
            if ref is None:
                return  # not a copy of this change's card
            await self._update(cr, ref, await self.base(cr),
                               through_response_url(clicked.response_url,
                                                    self._client.session))
        except Exception:  # best effort: the card follows the commit in any case
            log.exception("card of %s not shown to its clicker", cr.id)

    async def _update(self, cr: ChangeRequest, ref: CardRef, base: CardContext,
                      via: Via | None = None) -> None:
        """Update a copy unless it already shows this rendering (through `via` when given)."""
        message = self.render(cr, ref.audience, base)
        printed = fingerprint(message)
        if printed == self._showing(ref) and self.updates.idle(ref.channel, ref.ts):
            return
        await self.updates.update(ref.channel, ref.ts, self._card_render(cr, ref, message, via))

    def _showing(self, ref: CardRef) -> str:
        """The fingerprint of what the copy shows, as far as this process knows."""
        if self._mode.stores_shown:
            if (ref.channel, ref.ts) in self._doubted:
                return ""
            return ref.rendered  # stored after every update, by whichever replica made it
        return self._shown.get((ref.channel, ref.ts), ref.rendered)

    def _card_render(self, cr: ChangeRequest, ref: CardRef, message: Message,
                     via: Via | None = None) -> Render:
        """The copy's render; `via` takes it, and its catch-up, outside chat.update's budget."""
        printed = fingerprint(message)

        async def sent() -> None:
            self._remember(ref.channel, ref.ts, printed)
            self._doubted.discard((ref.channel, ref.ts))
            if self._mode.stores_shown:
                try:
                    await self._cards.save(replace(ref, rendered=printed))
                    await self._catch_up(cr, ref, via)
                except Exception:  # the copy shows it all the same: at worst sent once more
                    log.exception("what the card at %s/%s shows was not stored", ref.channel,
                                  ref.ts)

        return Render(cr.version, printed, message.as_kwargs(), sent,
                      lambda: self._fresh_render(cr.id, ref), via)

    async def _catch_up(self, shown: ChangeRequest, ref: CardRef, via: Via | None) -> None:
        """A render can land after another of a later state (another replica's, or this one's
        through the other way to the card): when the change moved on from what the copy was
        just sent, it is sent the change as it is now, whatever fingerprint was stored, since
        the later render's may have been stored before this one's; by the same `via`, while
        Slack takes it."""
        cr = await self._changes.get(shown.id)
        if cr is not None and cr.version > shown.version:
            self._doubted.add((ref.channel, ref.ts))
            message = self.render(cr, ref.audience, await self.base(cr))
            await self.updates.update(ref.channel, ref.ts,
                                      self._card_render(cr, ref, message, via))

    async def _fresh_render(self, change_id: str, ref: CardRef) -> Render | None:
        """The copy rendered from the change as it is now, for an update that waited; None
        when it is gone or, paced, already shows that (another replica)."""
        cr = await self._changes.get(change_id)
        if cr is None:
            return None
        message = self.render(cr, ref.audience, await self.base(cr))
        if self._mode.stores_shown and (ref.channel, ref.ts) not in self._doubted:
            stored = next((r for r in await self._cards.cards(change_id)
                           if (r.channel, r.ts) == (ref.channel, ref.ts)), ref)
            if stored.rendered == fingerprint(message):
                return None
        return self._card_render(cr, ref, message)

    def _remember(self, channel: str, ts: str, printed: str) -> None:
        self._shown.pop((channel, ts), None)
        self._shown[(channel, ts)] = printed
        if len(self._shown) > REMEMBERED:
            del self._shown[next(iter(self._shown))]


def _chat_update(client: AsyncWebClient) -> Send:
    """chat.update of one card, as CardUpdates sends it."""
    return lambda channel, ts, message: client.chat_update(channel=channel, ts=ts, **message)
