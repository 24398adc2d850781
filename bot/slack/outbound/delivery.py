"""Turns committed change events into Slack: cards posted (and brought up to date in place by
bot/slack/outbound/card_sync.py), thread replies, requester DMs, approvers told
(bot/slack/outbound/nudges.py) and App Home refreshes. Safe to repeat: cards render current state.
In two phases: every change's channel card first, then what can wait (the requester's copy, thread
replies, DMs, Home tabs), so a team watching the channel sees each change at Slack's one post a
second per channel, not behind thirty approvers' DMs of another."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox.later import Later
from bot.slack.outbound.card_sync import CardSync, fingerprint
from bot.slack.outbound.dm_digest import ApproverDigests
from bot.slack.outbound.homepub import HomePublisher
from bot.slack.outbound.notices import requester_digest, thread_digest
from bot.slack.outbound.nudges import StageNudges
from bot.slack.outbound.pacing import ChannelPacer
from bot.slack.outbound.people import People
from bot.slack.rendering.card_context import CardContext
from storage.ports.cards import Audience, CardRef, CardStore
from storage.ports.change_queries import ChangeQueries
from storage.ports.dm_digests import DmDigests
from storage.ports.outbox import Queued
from workflow.codec import event_from_dict
from workflow.events import Event, EventKind
from workflow.model import SYSTEM_ACTOR, ChangeRequest, State
from workflow.ports import Directory

log = logging.getLogger(__name__)
TOPIC = "change.event"
HOME_FANOUT = 50  # Home tabs republished per event at most (views.publish is Tier 4)
REMEMBERED_SYNCS = 5000
STAGE_OPENERS = frozenset({EventKind.SUBMITTED, EventKind.STAGE_APPROVED,
                           EventKind.RETURNED_TO_REVIEW, EventKind.APPROVALS_INVALIDATED})
NUDGES = frozenset({EventKind.REMINDED, EventKind.ESCALATED})
# Events that leave the change where it was: only the actor's and the requester's tabs change.
ONLY_ACTOR_AND_REQUESTER = frozenset({EventKind.RESPONSE, EventKind.COMMENT,
                                      EventKind.DRY_RUN_RECORDED, EventKind.REMINDED})
WIDE = STAGE_OPENERS | {EventKind.APPROVED, EventKind.REJECTED, EventKind.CANCELLED,
                        EventKind.EXPIRED, EventKind.RETURNED_TO_DRAFT}
FIRST = (Audience.CHANNEL,)  # the copies posted in the first phase
EVERY_COPY = (Audience.CHANNEL, Audience.REQUESTER)  # copies every change has once submitted


class SlackDelivery:
    """`deliver` is what the outbox relay calls for each message."""

    def __init__(self, client: AsyncWebClient, changes: ChangeQueries, cards: CardStore,
                 people: People, homes: HomePublisher, card_sync: CardSync, *,
                 default_channel: str | None = None, pacer: ChannelPacer | None = None,
                 digests: DmDigests | None = None, directory: Directory | None = None) -> None:
        self._client = client
        self._changes = changes
        self._cards = cards
        self._people = people
        self._homes = homes
        self.card_sync = card_sync  # every posted copy's updates go through it
        self._default_channel = default_channel
        self._pacer = pacer or ChannelPacer()
        self._locks: dict[str, asyncio.Lock] = {}
        self._dms: dict[str, str] = {}
        # With a digest store and a directory, an approver awaited by more than a few changes
        # gets one DM digest kept up to date instead of a card per change.
        self._digests = (ApproverDigests(changes, directory, digests, self._post,
                                         card_sync.updates)
                         if digests is not None and directory is not None else None)
        self._nudges = StageNudges(people, self._post, self._dm, default_channel, self._digests)
        self._synced: dict[str, tuple[int, list[CardRef]]] = {}  # by change id, oldest first
        self._refused = 0  # posts Slack refused so far

    async def deliver_many(self, messages: Sequence[Queued]) -> Later | None:
        """Bring Slack in line with several committed events, in order: each change's cards
        synced once, the channel's posted now; the rest (the requester's copy, the events told
        in one thread reply and one requester DM, the approvers' DMs) returned for later."""
        by_change: dict[str, list[Event]] = {}
        for message in messages:
            if message.topic == TOPIC and message.change_id:
                by_change.setdefault(message.change_id, []).append(
                    event_from_dict(dict(message.payload)))
        for change_id in by_change:
            async with self._locks.setdefault(change_id, asyncio.Lock()):
                cr = await self._changes.get(change_id)
                if cr is not None:
                    await self._sync_once(cr, FIRST)
        if not by_change:
            return None
        return lambda: self._tell_all(by_change)

    async def _tell_all(self, by_change: dict[str, list[Event]]) -> None:
        """The second phase: each change's remaining copies posted and its events told."""
        for change_id, events in by_change.items():
            async with self._locks.setdefault(change_id, asyncio.Lock()):
                cr = await self._changes.get(change_id)
                if cr is None:
                    continue
                refs = await self._sync_once(cr, EVERY_COPY)
                await self._tell(events, cr, refs)
            await self._refresh_homes(events, cr)

    async def _sync_once(self, cr: ChangeRequest,
                         audiences: Sequence[Audience]) -> list[CardRef]:
        """Sync the cards once per version (posting the missing copies of `audiences`): the
        events a command wrote together, and those delivered after the cards already show a
        later state, cost no further reads or calls."""
        synced = self._synced.pop(cr.id, None)
        if synced is None or synced[0] != cr.version:
            refused = self._refused
            synced = (cr.version, await self.sync(cr, audiences))
            if self._refused != refused:  # a copy was not posted: try again next event
                return synced[1]
        elif synced[1] or cr.state is not State.DRAFT:
            refused = self._refused
            refs = synced[1] + await self._post_missing(cr, synced[1], audiences)
            synced = (cr.version, [ref for ref in refs if ref.ts])
            if self._refused != refused:
                return synced[1]
        self._synced[cr.id] = synced
        if len(self._synced) > REMEMBERED_SYNCS:
            del self._synced[next(iter(self._synced))]
        return synced[1]

    async def refresh(self, change_id: str) -> None:
        """Re-render every copy of a card, e.g. after a group's membership changed."""
        async with self._locks.setdefault(change_id, asyncio.Lock()):
            cr = await self._changes.get(change_id)
            if cr is not None:
                await self.sync(cr)

    async def sync(self, cr: ChangeRequest,
                   audiences: Sequence[Audience] = EVERY_COPY) -> list[CardRef]:
        """Post the missing copies of `audiences` (channel, requester DM) and update the
        changed ones."""
        refs = list(await self._cards.cards(cr.id))
        if not refs and cr.state is State.DRAFT:
            return []
        base = await self.card_sync.base(cr)
        await self.card_sync.update_copies(cr, refs, base)
        refs += await self._post_missing(cr, refs, audiences, base)
        return [ref for ref in refs if ref.ts]

    async def _post_missing(self, cr: ChangeRequest, refs: Sequence[CardRef],
                            audiences: Sequence[Audience],
                            base: CardContext | None = None) -> list[CardRef]:
        """The copies of `audiences` not among `refs`, posted now."""
        have = {ref.audience for ref in refs}
        posted: list[CardRef] = []
        for audience in audiences:
            if audience in have:
                continue
            home = await self._home(cr, audience)
            if home:
                base = base or await self.card_sync.base(cr)
                posted.append(await self._post_card(cr, home, audience, base))
        return posted

    async def _home(self, cr: ChangeRequest, audience: Audience) -> str | None:
        """Where the copy for `audience` is posted: the workflow's channel, or the DM."""
        if audience is Audience.CHANNEL:
            return (cr.workflow.channel if cr.workflow else None) or self._default_channel
        return await self._dm(cr.requester)

    async def _post_card(self, cr: ChangeRequest, channel: str, audience: Audience,
                         base: CardContext) -> CardRef:
        message = self.card_sync.render(cr, audience, base)
        response = await self._post(channel, **message.as_kwargs())
        if response is None:
            return CardRef(cr.id, channel, "", audience)
        ref = CardRef(cr.id, str(response["channel"]), str(response["ts"]), audience,
                      fingerprint(message))
        await self._cards.save(ref)
        return ref

    async def _tell(self, events: Sequence[Event], cr: ChangeRequest,
                    refs: list[CardRef]) -> None:
        """Thread replies under the card and the approvers told of an opening stage, in the
        order things happened; then the requester's DM."""
        home = next((r for r in refs if r.audience is Audience.CHANNEL), None)
        anchor = home or next((r for r in refs if r.audience is Audience.REQUESTER), None)
        told = 0
        for at, event in enumerate(events):
            if event.kind in STAGE_OPENERS | NUDGES:
                await self._reply(anchor, events[told:at + 1])
                told = at + 1
                await self._nudges.tell(event, cr, home, refs, self._post_approver_card)
        await self._reply(anchor, events[told:])
        dm_text = requester_digest(events, cr)
        if dm_text:
            dm = await self._dm(cr.requester)
            if dm:
                await self._post(dm, text=dm_text)

    async def _reply(self, anchor: CardRef | None, events: Sequence[Event]) -> None:
        """The events' lines under the card, as few posts as fit."""
        if anchor:
            for text in thread_digest(events):
                await self._post(anchor.channel, text=text, thread_ts=anchor.ts)

    async def _post_approver_card(self, cr: ChangeRequest, dm: str) -> CardRef:
        """An approver's own copy of the card, in their DM, updated in place like the others."""
        return await self._post_card(cr, dm, Audience.APPROVER, await self.card_sync.base(cr))

    async def _refresh_homes(self, events: Sequence[Event], cr: ChangeRequest) -> None:
        """The requester's and the actors' tabs change with every event; the other responders'
        when the change moves, the workflow's groups' when a stage or the review opens or ends."""
        concerned = {cr.requester} | {event.actor for event in events}
        kinds = {event.kind for event in events}
        if kinds - ONLY_ACTOR_AND_REQUESTER:
            concerned |= {r.person for r in cr.responses if r.revision == cr.revision}
        if kinds & WIDE:
            concerned |= await self._people.of_workflow(cr, HOME_FANOUT)
        await self._homes.refresh(sorted(concerned - {SYSTEM_ACTOR})[:HOME_FANOUT])
        if self._digests is not None:  # what awaits them is what their DM digest lists
            await self._digests.refresh(sorted(concerned - {SYSTEM_ACTOR})[:HOME_FANOUT], cr.id)

    async def _dm(self, user: str) -> str | None:
        """The bot's DM channel with a person (cached); None if Slack does not know them."""
        if user not in self._dms:
            try:
                response = await self._client.conversations_open(users=user)
            except SlackApiError as exc:
                log.warning("cannot open a DM with %s: %s", user, exc.response.get("error"))
                return None
            self._dms[user] = str(response["channel"]["id"])
        return self._dms[user]

    async def _post(self, channel: str, **kwargs: Any) -> dict[str, Any] | None:
        """chat.postMessage paced per channel; a refusal is logged and yields None."""
        await self._pacer.wait(channel)
        try:
            response = await self._client.chat_postMessage(channel=channel, **kwargs)
        except SlackApiError as exc:
            log.warning("message to %s not posted: %s", channel, exc.response.get("error"))
            self._refused += 1
            return None
        return dict(response.data) if isinstance(response.data, dict) else None
