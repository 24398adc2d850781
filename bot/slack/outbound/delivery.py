"""Turns committed change events into Slack: cards posted and updated in place, thread replies,
requester DMs, approvers told (bot/slack/outbound/nudges.py) and App Home refreshes. Safe to repeat:
cards render current state. In two phases: every change's channel card first, then what can wait
(the requester's copy, thread replies, DMs, Home tabs), so a team watching the channel sees each
change at Slack's one post a second per channel, not behind thirty approvers' DMs of another."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox.later import Later
from bot.slack.outbound.card_updates import CardUpdates, Render, Via, through_response_url
from bot.slack.outbound.dm_digest import ApproverDigests
from bot.slack.outbound.homepub import HomePublisher
from bot.slack.outbound.notices import requester_digest, thread_digest
from bot.slack.outbound.nudges import StageNudges
from bot.slack.outbound.pacing import ChannelPacer
from bot.slack.outbound.people import People
from bot.slack.rendering.card import render_card
from bot.slack.rendering.card_context import CardContext, Message
from storage.ports.cards import Audience, CardRef, CardStore
from storage.ports.change_queries import ChangeQueries
from storage.ports.dm_digests import DmDigests
from storage.ports.outbox import Queued
from workflow.codec import event_from_dict
from workflow.events import Event, EventKind
from workflow.model import SYSTEM_ACTOR, ChangeRequest, State
from workflow.ports import Clock, Directory

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


def fingerprint(message: Message) -> str:
    """What a copy shows, so an unchanged card is not sent again."""
    body = json.dumps({"text": message.text, "blocks": message.blocks}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


class SlackDelivery:
    """`deliver` is what the outbox relay calls for each message."""

    def __init__(self, client: AsyncWebClient, changes: ChangeQueries, cards: CardStore,
                 people: People, homes: HomePublisher, clock: Clock, *,
                 default_channel: str | None = None, pacer: ChannelPacer | None = None,
                 updates: CardUpdates | None = None, under_limits: bool = False,
                 digests: DmDigests | None = None, directory: Directory | None = None) -> None:
        self._client = client
        self._changes = changes
        self._cards = cards
        self._people = people
        self._homes = homes
        self._clock = clock
        self._default_channel = default_channel
        self._pacer = pacer or ChannelPacer()
        self.updates = updates or CardUpdates(
            lambda channel, ts, message: client.chat_update(channel=channel, ts=ts, **message))
        # Under Slack's limits (updates few, the budget precious) the card a person decided from
        # takes their click's response_url, sparing chat.update's budget for the copies nobody
        # clicked, and what each copy shows is stored after every update, so no replica sends a
        # copy what another already made it show.
        self._under_limits = under_limits
        self._locks: dict[str, asyncio.Lock] = {}
        self._dms: dict[str, str] = {}
        # With a digest store and a directory, an approver awaited by more than a few changes
        # gets one DM digest kept up to date instead of a card per change.
        self._digests = (ApproverDigests(changes, directory, digests, self._post, self.updates)
                         if digests is not None and directory is not None else None)
        self._nudges = StageNudges(people, self._post, self._dm, default_channel, self._digests)
        self._synced: dict[str, tuple[int, list[CardRef]]] = {}  # by change id, oldest first
        self._refused = 0  # posts Slack refused so far
        # What each copy shows since its last update here. Without Slack's limits only a post is
        # stored (with what it showed then): storing every update would queue each delivery
        # behind the database's writer; after a restart a copy is at worst updated once more.
        self._shown: dict[tuple[str, str], str] = {}
        # Copies an older render may have landed on after a newer one's fingerprint was stored:
        # what is stored is not trusted for them until a render lands again.
        self._doubted: set[tuple[str, str]] = set()

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
        base = await self._base(cr)
        for ref in refs:
            await self._update(cr, ref, base)
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
                base = base or await self._base(cr)
                posted.append(await self._post_card(cr, home, audience, base))
        return posted

    async def _home(self, cr: ChangeRequest, audience: Audience) -> str | None:
        """Where the copy for `audience` is posted: the workflow's channel, or the DM."""
        if audience is Audience.CHANNEL:
            return (cr.workflow.channel if cr.workflow else None) or self._default_channel
        return await self._dm(cr.requester)

    async def _base(self, cr: ChangeRequest) -> CardContext:
        """What every copy's rendering shares besides the change."""
        return CardContext(now=self._clock.now(), available=await self._people.available(cr),
                           anchor=await self._changes.anchor(cr.id),
                           settled=await self._changes.settled(cr.id))

    def _render(self, cr: ChangeRequest, audience: Audience, base: CardContext) -> Message:
        ctx = CardContext(base.now, audience, base.available, base.anchor, base.settled)
        return render_card(cr, ctx)

    async def _post_card(self, cr: ChangeRequest, channel: str, audience: Audience,
                         base: CardContext) -> CardRef:
        message = self._render(cr, audience, base)
        response = await self._post(channel, **message.as_kwargs())
        if response is None:
            return CardRef(cr.id, channel, "", audience)
        ref = CardRef(cr.id, str(response["channel"]), str(response["ts"]), audience,
                      fingerprint(message))
        await self._cards.save(ref)
        return ref

    async def _update(self, cr: ChangeRequest, ref: CardRef, base: CardContext,
                      via: Via | None = None) -> None:
        """Update a copy unless it already shows this rendering (through `via` when given)."""
        message = self._render(cr, ref.audience, base)
        printed = fingerprint(message)
        if printed == self._showing(ref) and self.updates.idle(ref.channel, ref.ts):
            return
        await self.updates.update(ref.channel, ref.ts, self._card_render(cr, ref, message, via))

    def _showing(self, ref: CardRef) -> str:
        """The fingerprint of what the copy shows, as far as this process knows."""
        if self._under_limits:
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
            if self._under_limits:
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
            message = self._render(cr, ref.audience, await self._base(cr))
            await self.updates.update(ref.channel, ref.ts,
                                      self._card_render(cr, ref, message, via))

    async def _fresh_render(self, change_id: str, ref: CardRef) -> Render | None:
        """The copy rendered from the change as it is now, for an update that waited; None
        when it is gone or, under Slack's limits, already shows that (another replica)."""
        cr = await self._changes.get(change_id)
        if cr is None:
            return None
        message = self._render(cr, ref.audience, await self._base(cr))
        if self._under_limits and (ref.channel, ref.ts) not in self._doubted:
            stored = next((r for r in await self._cards.cards(change_id)
                           if (r.channel, r.ts) == (ref.channel, ref.ts)), ref)
            if stored.rendered == fingerprint(message):
                return None
        return self._card_render(cr, ref, message)

    async def follow(self, change_id: str, committed: int | None = None) -> None:
        """Bring the copies already posted to the change's current state, ahead of its events'
        thread replies and DMs (bot/slack/outbound/card_follower.py); posting stays the relay's.
        Nothing is done when the change moved past version `committed` since: its later
        committer follows it."""
        cr = await self._changes.get(change_id)
        if cr is not None and committed is not None and cr.version > committed:
            return
        refs = [ref for ref in await self._cards.cards(change_id) if ref.ts] if cr else []
        if cr is not None and refs:
            base = await self._base(cr)
            for ref in refs:
                await self._update(cr, ref, base)

    async def show_clicked(self, cr: ChangeRequest, channel: str, ts: str,
                           response_url: str) -> None:
        """The card a person decided from shows their decision at once through the click's
        response_url, whatever chat.update's budget; the other copies follow as it allows."""
        if not self._under_limits:
            return  # every copy follows the commit through chat.update
        refs = await self._cards.cards(cr.id)
        ref = next((r for r in refs if (r.channel, r.ts) == (channel, ts)), None)
        if ref is None:
            return  # not a copy of this change's card
        await self._update(cr, ref, await self._base(cr),
                           through_response_url(response_url, self._client.session))

    def _remember(self, channel: str, ts: str, printed: str) -> None:
        self._shown.pop((channel, ts), None)
        self._shown[(channel, ts)] = printed
        if len(self._shown) > REMEMBERED_SYNCS:
            del self._shown[next(iter(self._shown))]

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
        return await self._post_card(cr, dm, Audience.APPROVER, await self._base(cr))

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
