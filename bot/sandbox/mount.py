"""The sandbox workspace as one thing the bot's server mounts: fake Slack, driver and page."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.sandbox.actions import Actions
from bot.sandbox.directory import Directory
from bot.sandbox.fakeslack.driver import SlackDriver
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.fakeslack.state import SlackState, SlackStore
from bot.sandbox.guard import SiteGuard
from bot.sandbox.people import People
from bot.sandbox.web import POLL_S, PREFIX, SandboxPage
from bot.slack.inbound.http import EVENTS_PATH
from workflow.policy import Policy

log = logging.getLogger(__name__)


class SandboxWorkspace:
    """The fake Slack served under /sandbox of the bot's own server at `base_url`, and the page
    whose clicks reach the bot's /slack/events signed with a secret made for this run; with a
    `store`, the fake shows what the store kept and keeps every change there."""

    def __init__(self, directory: Directory, base_url: str, poll_s: float = POLL_S, *,
                 store: SlackStore | None = None) -> None:
        self.directory = directory
        self.base_url = base_url
        self.signing_secret = secrets.token_hex(16)
        directory.workspace.bot_token = f"xoxb-{secrets.token_hex(16)}"  # its Web API is the bot's
        state = SlackState() if store is None else _restarted(SlackState.kept_in(store))
        self.fake = FakeSlack(directory.workspace, state=state)
        self.fake.base_url = base_url + PREFIX
        self.driver = SlackDriver(self.fake, base_url + EVENTS_PATH, self.signing_secret)
        self.guard = SiteGuard(PREFIX, urlsplit(base_url).hostname or "")
        self.page = SandboxPage(self.fake, Actions(self.fake, self.driver), poll_s,
                                self.guard.token, refresh=self.refresh)
        self._opened = False
        self._people: tuple[People, Callable[[], Policy]] | None = None

    def follow(self, people: People, policy: Callable[[], Policy]) -> None:
        """From now on, keep the people in step with `policy` (the one in force, swapped by a
        reload) and the users file (bot/sandbox/people.py)."""
        self._people = (people, policy)

    async def refresh(self) -> bool:
        """Read the people again when the policy in force or the users file changed: the page
        is woken, and the bot told of user groups whose members changed, as Slack tells it.
        Whether they were read again."""
        if self._people is None:
            return False
        people, policy = self._people
        moved = people.reread(policy(), self.fake.workspace)
        if moved is None:
            return False
        await self.fake.changed()
        if self._opened:
            for group in moved:
                try:
                    await self.driver.event(group.event(self.fake.workspace.team_id,
                                                        time.time()))
                except aiohttp.ClientError as exc:
                    log.error("telling the bot that %s changed: %r", group.usergroup, exc)
        return True

    @property
    def api_url(self) -> str:
        """SLACK_API_URL for the bot: the fake's Web API on the same server."""
        return self.fake.api_url

    @property
    def page_url(self) -> str:
        return self.base_url + PREFIX

    def add_api_routes(self, app: web.Application) -> None:
        """Only the Web API: what the bot needs to start (auth.test) before the page exists."""
        self.fake.add_routes(app, PREFIX)

    def add_routes(self, app: web.Application) -> None:
        """The Web API, response URLs and the page, on the bot's application, with only the
        page's own requests let through to them."""
        app.middlewares.append(self.guard.middleware)
        self.add_api_routes(app)
        self.page.add_routes(app)

    async def open(self) -> None:
        """Open the driver's HTTP session (once the server is up)."""
        if not self._opened:
            await self.driver.__aenter__()
            self._opened = True

    async def close(self) -> None:
        if self._opened:
            await self.driver.__aexit__(None, None, None)
            self._opened = False


def _restarted(state: SlackState) -> SlackState:
    """The state a stopped sandbox kept, as its restart shows it: every page must be loaded
    again (its token is the run's), and a Slack client loaded again shows no modal, so the ones
    left open are closed; messages, threads and Home tabs are as they were."""
    for record in list(state.views.values()):
        if not record.closed:
            record.closed = True
            state.put_view(record)
    return state
