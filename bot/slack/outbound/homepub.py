"""Builds and publishes each person's App Home from current state; also feeds `/change list`.

Tabs follow changes within Slack's budget for views.publish: a burst at once, then about two a
second, each person's tab published once with the latest state however often it changed. One
publish per person is in flight at a time, so an older render never lands after a newer one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.outbound.budget import Budget
from bot.slack.outbound.pacing import Sleep
from bot.slack.rendering.home import (
    APPROVED,
    AWAITING,
    DECIDED,
    FIRST_PAGE,
    MINE,
    MORE_STEP,
    NEEDS,
    HomeData,
    home_view,
)
from storage.ports.cards import Audience, CardStore
from storage.ports.change_queries import ChangeQueries
from storage.reads import Page, needs_action_since
from workflow.ports import Clock, Directory

LISTS = (NEEDS, AWAITING, APPROVED, MINE, DECIDED)

log = logging.getLogger(__name__)
SCAN_LIMIT = 500
BURST = 60  # tabs published at once before pacing starts
PER_SECOND = 2.0  # views.publish is Tier 4: about a hundred calls a minute


def card_link(workspace_url: str, channel: str, ts: str) -> str:
    """A permalink built from channel and ts, without a chat.getPermalink call."""
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


class HomePublisher:
    """Computes the lists of a person and publishes their Home tab; `clock` says how old a
    rejection may be and still need its requester (the system's clock when not given)."""

    def __init__(self, client: AsyncWebClient, changes: ChangeQueries, directory: Directory,
                 cards: CardStore, workspace_url: str = "https://slack.com/",
                 budget: Budget | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Clock | None = None) -> None:
        self._client = client
        self._now = clock.now if clock is not None else lambda: datetime.now(UTC)
        self._sleep = sleep  # waits for the budget, by the clock it counts on
        self._changes = changes
        self._directory = directory
        self._cards = cards
        self.workspace_url = workspace_url
        self._shown: dict[str, dict[str, int]] = {}
        self._budget = budget or Budget(BURST, PER_SECOND)
        self._due: dict[str, None] = {}  # people whose tab is out of date, oldest first
        # People whose tab is being published, and whether it went out of date meanwhile.
        self._stale: dict[str, bool] = {}
        self._catching_up: asyncio.Task[None] | None = None
        self._quiet = asyncio.Event()  # set while no tab is being published
        self._quiet.set()

    async def lists(self, person: str, limits: Mapping[str, int] | None = None
                    ) -> dict[str, Page]:
        """Awaiting my approval; my requests not yet settled; the rest that involves me and is
        past review (approved, applying or settled); what needs me as requester (a rejection
        or expiry of the last NEEDS_ACTION_FOR, an unknown apply, an owed review); the open
        changes I approved: each a count and its first `limits[key]` changes (SCAN_LIMIT when
        not given)."""
        limits = limits or {}
        groups = await self._directory.groups_of(person)
        since = needs_action_since(self._now())
        return {
            NEEDS: await self._changes.needs_action(person, since, limits.get(NEEDS, SCAN_LIMIT)),
            AWAITING: await self._changes.awaiting(person, groups,
                                                   limits.get(AWAITING, SCAN_LIMIT)),
            APPROVED: await self._changes.approved_by(person, limits.get(APPROVED, SCAN_LIMIT)),
            MINE: await self._changes.open_requests(person, limits.get(MINE, SCAN_LIMIT)),
            DECIDED: await self._changes.decided(person, limits.get(DECIDED, SCAN_LIMIT)),
        }

    def show_more(self, person: str, key: str) -> None:
        """The person asked to see more of one list."""
        shown = self._shown.setdefault(person, {})
        shown[key] = shown.get(key, FIRST_PAGE) + MORE_STEP

    async def publish(self, person: str) -> None:
        """Re-render and publish the person's Home tab with the latest state. While one publish of
        the tab is in flight, another returns at once and has the first publish once more when it
        is done: a render read before a change never lands after one read after it."""
        self._due.pop(person, None)
        if person in self._stale:
            self._stale[person] = True
            return
        self._stale[person] = True
        self._quiet.clear()
        try:
            while self._stale[person]:
                self._stale[person] = False  # before reading: a change from now on is seen next
                await self._render_and_publish(person)
        finally:
            del self._stale[person]
            if not self._stale:
                self._quiet.set()

    async def idle(self) -> None:
        """Return once no tab is being published or waiting for budget, so a stop finishes the
        tabs in flight and a caller can tell what a request has published."""
        while True:
            catching_up = self._catching_up
            if catching_up is not None and not catching_up.done():
                await asyncio.wait({catching_up})
            elif not self._quiet.is_set():
                await self._quiet.wait()
            else:
                return

    async def _render_and_publish(self, person: str) -> None:
        """Read the person's lists and publish them; a failure is logged, never raised."""
        try:
            shown = self._shown.get(person, {})
            pages = await self.lists(person, {key: shown.get(key, FIRST_PAGE)
                                              for key in LISTS})
            links = {}
            for page in pages.values():  # only what the tab shows is read, and linked
                for cr in page.items:
                    for ref in await self._cards.cards(cr.id):
                        if ref.audience is Audience.CHANNEL:
                            links[cr.id] = card_link(self.workspace_url, ref.channel, ref.ts)
                            break
            data = HomeData(person, {k: p.items for k, p in pages.items()}, shown, links,
                            {k: p.total for k, p in pages.items()})
            await self._client.views_publish(user_id=person, view=home_view(data))
        except SlackApiError as exc:
            log.warning("App Home of %s not published: %s", person, exc.response.get("error"))

    async def refresh(self, people: Iterable[str]) -> None:
        """These people's tabs are out of date: publish them now while the budget lasts; the
        rest are published, each once with the latest state, as the budget refills."""
        for person in people:
            self._due[person] = None
        while self._due and self._budget.take():
            await self.publish(next(iter(self._due)))
        if self._due and (self._catching_up is None or self._catching_up.done()):
            self._catching_up = asyncio.get_running_loop().create_task(
                self._catch_up(), name="home-catch-up")

    async def _catch_up(self) -> None:
        while self._due:
            await self._sleep(self._budget.wait_s())
            if not self._due or not self._budget.take():
                continue
            person = next(iter(self._due))
            try:
                await self.publish(person)
            except Exception:  # a closed session at shutdown, Slack unreachable: never loop
                log.exception("App Home of %s not published", person)
                self._due.pop(person, None)
