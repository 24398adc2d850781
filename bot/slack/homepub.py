"""Builds and publishes each person's App Home from current state; also feeds `/change list`."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.cardstore import CardStore
from bot.slack.context import Audience
from bot.slack.home import AWAITING, DECIDED, FIRST_PAGE, MINE, MORE_STEP, HomeData, home_view
from bot.slack.queries import ChangeQueries
from workflow.model import TERMINAL_STATES, ChangeRequest, State, Verdict
from workflow.ports import Directory
from workflow.progress import active_stage

log = logging.getLogger(__name__)
SCAN_LIMIT = 500
IN_REVIEW = frozenset({State.DRAFT, State.PENDING_REVIEW})


def awaits(cr: ChangeRequest, person: str, groups: frozenset[str]) -> bool:
    """Whether the person could approve the change's active stage right now."""
    if cr.state is not State.PENDING_REVIEW or cr.workflow is None or person in cr.authors:
        return False
    index = active_stage(cr)
    if index is None or not groups & cr.workflow.stages[index].groups:
        return False
    return not any(r.person == person for r in cr.live_responses()
                   if r.verdict is Verdict.APPROVE or r.stage == index)


def card_link(workspace_url: str, channel: str, ts: str) -> str:
    """A permalink built from channel and ts, without a chat.getPermalink call."""
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


class HomePublisher:
    """Computes the three lists for a person and publishes their Home tab."""

    def __init__(self, client: AsyncWebClient, changes: ChangeQueries, directory: Directory,
                 cards: CardStore, workspace_url: str = "https://slack.com/") -> None:
        self._client = client
        self._changes = changes
        self._directory = directory
        self._cards = cards
        self.workspace_url = workspace_url
        self._shown: dict[str, dict[str, int]] = {}

    async def lists(self, person: str) -> dict[str, list[ChangeRequest]]:
        """Awaiting my approval; my requests not yet settled; the rest that involves me and is
        past review (approved, applying or settled)."""
        groups = await self._directory.groups_of(person)
        awaiting = [cr for cr in await self._changes.in_review(SCAN_LIMIT)
                    if awaits(cr, person, groups)]
        involving = await self._changes.involving(person, SCAN_LIMIT)
        mine = [cr for cr in involving
                if cr.requester == person and cr.state not in TERMINAL_STATES]
        listed = {cr.id for cr in mine}
        decided = [cr for cr in involving if cr.id not in listed and cr.state not in IN_REVIEW]
        return {AWAITING: awaiting, MINE: mine, DECIDED: decided}

    def show_more(self, person: str, key: str) -> None:
        """The person asked to see more of one list."""
        shown = self._shown.setdefault(person, {})
        shown[key] = shown.get(key, FIRST_PAGE) + MORE_STEP

    async def publish(self, person: str) -> None:
        """Re-render and publish the person's Home tab; a failure is logged, never raised."""
        try:
            lists = await self.lists(person)
            links = {}
            for cr in {c.id: c for items in lists.values() for c in items}.values():
                for ref in await self._cards.cards(cr.id):
                    if ref.audience is Audience.CHANNEL:
                        links[cr.id] = card_link(self.workspace_url, ref.channel, ref.ts)
                        break
            data = HomeData(person, lists, self._shown.get(person, {}), links)
            await self._client.views_publish(user_id=person, view=home_view(data))
        except SlackApiError as exc:
            log.warning("App Home of %s not published: %s", person, exc.response.get("error"))
