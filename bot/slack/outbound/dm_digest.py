"""One DM digest per approver instead of one card per change, above a few pending changes.

When a stage opens for an approver who is told by DM (bot/slack/outbound/nudges.py) and more than
DIGEST_ABOVE changes await them (App Home's "Awaiting my approval" query), they get no new copy
of the card: their one digest message ("12 changes await you", the oldest ten each with Approve,
Reject and View change) is posted the first time, and updated in place with chat.update after
that. A digest is kept up to date for the people whose App Home changes with each event
(bot/slack/outbound/delivery.py): updates go through the cards' coalescing (the latest render
wins, chat.update's budget kept: bot/slack/outbound/card_updates.py), and one that would show
what the digest shows already is not sent. Where it lives and what it shows is stored
(storage/ports/dm_digests.py), so it is updated in place after a restart and by every replica.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

from bot.slack.outbound.card_updates import CardUpdates, Render
from bot.slack.rendering.blocks import section
from bot.slack.rendering.card_context import Message
from bot.slack.rendering.digest import DIGEST_LISTED, digest_message
from storage.ports.change_queries import ChangeQueries
from storage.ports.dm_digests import DmDigest, DmDigests
from workflow.ports import Directory

log = logging.getLogger(__name__)
# Above this many changes awaiting a person, a stage opening for them updates their digest
# instead of posting them another copy of the card. The policy does not change it.
DIGEST_ABOVE = 3
MOVED = "The changes that await you are listed in another ChangeGate message of this conversation."
Post = Callable[..., Awaitable[dict[str, Any] | None]]


def fingerprint(message: Message) -> str:
    """What a digest shows, so an unchanged one is not sent again."""
    body = json.dumps({"text": message.text, "blocks": message.blocks}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class ApproverDigests:
    """`take` when an approver would get a card by DM; `refresh` when what awaits people may have
    changed. `post` is chat.postMessage as delivery paces it (None when Slack refused)."""

    def __init__(self, changes: ChangeQueries, directory: Directory, store: DmDigests,
                 post: Post, updates: CardUpdates, *, above: int = DIGEST_ABOVE) -> None:
        self._changes = changes
        self._directory = directory
        self._store = store
        self._post = post
        self._updates = updates
        self.above = above
        self._posting: dict[str, asyncio.Lock] = {}  # one first post per person at a time
        self._version = 0  # renders made here, in order: an older one never lands after
        # Who the latest render here listed each change for: their digest shows its title and
        # binds its buttons to its revision and dry-run, so it follows any change of those.
        self._listing: dict[str, set[str]] = {}  # change id -> people
        self._listed: dict[str, frozenset[str]] = {}  # person -> change ids

    async def take(self, person: str, dm: str) -> str | None:
        """A change now awaits `person`, who would get their own copy of its card in `dm`. When
        more than `above` changes await them, their digest is posted or brought up to date
        instead and its ts returned (what concerns that change is told under it); else None, and
        they get the card (a digest they keep is brought up to date all the same). Never raises:
        on a failure they get the card."""
        try:
            return await self._take(person, dm)
        except Exception:
            log.exception("digest of %s not shown; a card is posted instead", person)
            return None

    async def _take(self, person: str, dm: str) -> str | None:
        kept = await self._store.digests([person])
        total, message = await self._render(person)
        if kept:
            await self._show(kept[0], message)
            return kept[0].ts if total > self.above else None
        if total <= self.above:
            return None
        async with self._posting.setdefault(person, asyncio.Lock()):
            kept = await self._store.digests([person])  # posted meanwhile by another delivery
            if kept:
                await self._show(kept[0], message)
                return kept[0].ts
            posted = await self._post_first(person, dm, message)
        if posted is not None:
            await self.refresh([person])  # what changed while it was being posted
        return posted.ts if posted is not None else None

    async def refresh(self, people: Iterable[str], change_id: str | None = None) -> None:
        """Bring these people's digests (of those who have one) up to date, and those listing
        `change_id` (a new dry-run, an edited title). Never raises: the digest is brought up to
        date at the next event instead."""
        wanted = set(people) | self._listing.get(change_id or "", set())
        try:
            kept = await self._store.digests(wanted)
        except Exception:
            log.exception("digests not read")
            return
        for digest in kept:
            try:
                await self._show(digest, (await self._render(digest.person))[1])
            except Exception:
                log.exception("digest of %s not brought up to date", digest.person)

    async def _render(self, person: str) -> tuple[int, Message]:
        """How many changes await the person, and their digest."""
        groups = await self._directory.groups_of(person)
        page = await self._changes.awaiting(person, groups, DIGEST_LISTED)
        self._remember_listed(person, frozenset(cr.id for cr in page.items))
        return page.total, digest_message(page.total, page.items)

    def _remember_listed(self, person: str, listed: frozenset[str]) -> None:
        before = self._listed.pop(person, frozenset())
        if listed:
            self._listed[person] = listed
        for change_id in before - listed:
            self._listing[change_id].discard(person)
            if not self._listing[change_id]:
                del self._listing[change_id]
        for change_id in listed - before:
            self._listing.setdefault(change_id, set()).add(person)

    async def _post_first(self, person: str, dm: str, message: Message) -> DmDigest | None:
        """Post the person's first digest and keep it; should another replica have kept one
        first, this one says where the list is, and theirs is used."""
        response = await self._post(dm, **message.as_kwargs())
        if response is None:
            return None
        posted = DmDigest(person, str(response["channel"]), str(response["ts"]),
                          fingerprint(message))
        kept = await self._store.claim(posted)
        if (kept.channel, kept.ts) != (posted.channel, posted.ts):
            moved = Message(text=MOVED, blocks=[section(MOVED)])
            await self._updates.update(posted.channel, posted.ts,
                                       self._as_render(replace(posted, rendered=""), moved,
                                                       stored=False))
        return kept

    async def _show(self, digest: DmDigest, message: Message) -> None:
        """Update the digest to `message` unless it shows that already."""
        printed = fingerprint(message)
        if printed == digest.rendered and self._updates.idle(digest.channel, digest.ts):
            return
        await self._updates.update(digest.channel, digest.ts, self._as_render(digest, message))

    def _as_render(self, digest: DmDigest, message: Message, *, stored: bool = True) -> Render:
        """The digest's update: what it shows is stored once Slack shows it; one that waited
        for chat.update's budget is rendered again from the state current then."""
        self._version += 1
        printed = fingerprint(message)

        async def sent() -> None:
            if stored:
                try:
                    await self._store.save(replace(digest, rendered=printed))
                except Exception:  # it shows it all the same: at worst sent once more
                    log.exception("what the digest of %s shows was not stored", digest.person)

        async def fresh() -> Render | None:
            return self._as_render(digest, (await self._render(digest.person))[1])

        return Render(self._version, printed, message.as_kwargs(), sent,
                      fresh if stored else None)
