"""Telling the approvers of a stage that it opened, is reminded or is escalated: a mention in
the card's thread, a DM each with their own copy of the card, or both, as the workflow says. An
approver awaited by more than a few changes gets their one DM digest brought up to date instead
of another copy (bot/slack/outbound/dm_digest.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.slack.outbound.dm_digest import ApproverDigests
from bot.slack.outbound.people import LISTED_MEMBERS, People
from bot.slack.rendering.card_parts import stage_title
from bot.slack.rendering.mrkdwn import people
from storage.ports.cards import CardRef
from workflow.awaiting import awaited, awaited_groups
from workflow.events import Event, EventKind
from workflow.model import ChangeRequest, Notify, State
from workflow.progress import active_stage, stage_progress

log = logging.getLogger(__name__)
REMEMBERED = 5000  # (change, stage, moment, who) already told
DM_FANOUT = 100  # approvers sent a DM per moment at most
Post = Callable[..., Awaitable[dict[str, Any] | None]]
OpenDm = Callable[[str], Awaitable[str | None]]
PostCard = Callable[[ChangeRequest, str], Awaitable[CardRef]]


class StageNudges:
    """Once per stage and moment: the channel hears of it, each awaited approver by DM."""

    def __init__(self, people_: People, post: Post, open_dm: OpenDm,
                 default_channel: str | None, digests: ApproverDigests | None = None) -> None:
        self._people = people_
        self._post = post
        self._open_dm = open_dm
        self._default_channel = default_channel
        self._digests = digests
        self._told: dict[tuple[str, ...], None] = {}

    async def tell(self, event: Event, cr: ChangeRequest, home: CardRef | None,
                   refs: Sequence[CardRef], post_card: PostCard) -> None:
        """Tell of an opening stage, a reminder or an escalation, as the workflow's notify says."""
        if cr.state is not State.PENDING_REVIEW or cr.workflow is None:
            return
        index = active_stage(cr)
        if index is None:
            return
        moment = "open" if event.kind not in (EventKind.REMINDED, EventKind.ESCALATED) \
            else event.kind.value
        key = (cr.id, str(cr.revision), str(index), f"{moment}@{event.at.isoformat()}")
        title = (f"*{stage_title(stage_progress(cr, index), len(cr.workflow.stages))}* "
                 f"of *{cr.id}*")
        notify = cr.workflow.notifies(cr.workflow.channel or self._default_channel)
        if home is not None and notify is not Notify.DM and self._first(*key, "channel"):
            text = await self._channel_text(event, cr, title)
            await self._post(home.channel, text=text, thread_ts=home.ts, reply_broadcast=True)
        if notify is not Notify.CHANNEL:
            await self._direct(event, cr, key, title, refs, post_card)

    async def _channel_text(self, event: Event, cr: ChangeRequest, title: str) -> str:
        if event.kind is EventKind.ESCALATED:
            group = str(event.data.get("group", ""))
            return (f":rotating_light: {title} is escalated: {await self._people.mention(group)}"
                    ", you may approve it now.")
        if event.kind is EventKind.REMINDED:
            return f":bell: Reminder: {title} still waits for {await self.waiting_for(cr)}."
        assert cr.workflow is not None
        index = active_stage(cr)
        groups = sorted(cr.workflow.stages[index].groups) if index is not None else []
        mentions = " ".join([await self._people.mention(g) for g in groups])
        return f":bell: {title} is open: {mentions}, please review."

    async def waiting_for(self, cr: ChangeRequest) -> str:
        """The approvers who have not responded, by name; a group whose members are unknown
        is mentioned as a group."""
        known, unknown = await self._awaited(cr)
        named = [people(sorted(known), LISTED_MEMBERS)] if known else []
        named += [await self._people.mention(group) for group in unknown]
        return ", ".join(named) or "approvers"

    async def _awaited(self, cr: ChangeRequest) -> tuple[frozenset[str], list[str]]:
        """Awaited people, and the awaited groups whose members cannot be looked up."""
        members: dict[str, frozenset[str]] = {}
        unknown: list[str] = []
        for group in sorted(awaited_groups(cr)):
            found = await self._people.members(group)
            if found is None:
                unknown.append(group)
            else:
                members[group] = found
        return awaited(cr, members), unknown

    async def _direct(self, event: Event, cr: ChangeRequest, key: tuple[str, ...], title: str,
                      refs: Sequence[CardRef], post_card: PostCard) -> None:
        """Each awaited approver gets their own copy of the card, once; a later moment (a stage
        opening for them again, a reminder, an escalation) is told under it. One awaited by
        more than a few changes, and without a copy yet, has their digest brought up to date
        instead; a reminder or an escalation is told in its thread, not broadcast, so their DM
        keeps one message however many changes are reminded at once."""
        known, unknown = await self._awaited(cr)
        if unknown:
            log.warning("%s: members of %s are unknown, so they get no DM", cr.id,
                        ", ".join(unknown))
        if not known:
            log.warning("%s: no approver of its active stage can be told by DM", cr.id)
        by_channel = {ref.channel: ref for ref in refs}
        for person in sorted(known)[:DM_FANOUT]:
            if not self._first(*key, person):
                continue
            dm = await self._open_dm(person)
            if dm is None:
                continue
            ref = by_channel.get(dm)
            digest = None
            if ref is None and self._digests is not None:
                digest = await self._digests.take(person, dm)
            if digest is not None:
                if event.kind in (EventKind.REMINDED, EventKind.ESCALATED):
                    await self._post(dm, text=_dm_text(event, title), thread_ts=digest)
                continue  # else the digest listing it is the news
            if ref is None:
                ref = await post_card(cr, dm)
                if event.kind not in (EventKind.REMINDED, EventKind.ESCALATED) or not ref.ts:
                    continue  # the new card is the news
            await self._post(dm, text=_dm_text(event, title), thread_ts=ref.ts,
                             reply_broadcast=True)

    def _first(self, *key: str) -> bool:
        """Whether this is the first time `key` is told; remembers it if so."""
        if key in self._told:
            return False
        self._told[key] = None
        if len(self._told) > REMEMBERED:
            del self._told[next(iter(self._told))]
        return True


def _dm_text(event: Event, title: str) -> str:
    if event.kind is EventKind.ESCALATED:
        return f":rotating_light: {title} is escalated: you may approve it now."
    if event.kind is EventKind.REMINDED:
        return f":bell: Reminder: {title} still waits for your review."
    return f":bell: {title} is open: please review."
