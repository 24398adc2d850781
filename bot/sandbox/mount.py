"""The sandbox workspace as one thing the bot's server mounts: fake Slack, driver and page."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from aiohttp import web

from bot.sandbox.actions import Actions
from bot.sandbox.directory import Directory
from bot.sandbox.fakeslack.driver import SlackDriver
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.guard import SiteGuard
from bot.sandbox.web import POLL_S, PREFIX, SandboxPage
from bot.slack.inbound.http import EVENTS_PATH


class SandboxWorkspace:
    """The fake Slack served under /sandbox of the bot's own server at `base_url`, and the page
    whose clicks reach the bot's /slack/events signed with a secret made for this run."""

    def __init__(self, directory: Directory, base_url: str, poll_s: float = POLL_S) -> None:
        self.directory = directory
        self.base_url = base_url
        self.signing_secret = secrets.token_hex(16)
        directory.workspace.bot_token = f"xoxb-{secrets.token_hex(16)}"  # its Web API is the bot's
        self.fake = FakeSlack(directory.workspace)
        self.fake.base_url = base_url + PREFIX
        self.driver = SlackDriver(self.fake, base_url + EVENTS_PATH, self.signing_secret)
        self.guard = SiteGuard(PREFIX, urlsplit(base_url).hostname or "")
        self.page = SandboxPage(self.fake, Actions(self.fake, self.driver), poll_s,
                                self.guard.token)
        self._opened = False

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
