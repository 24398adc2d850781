"""The sandbox page's routes: the page itself, its state (long-polled) and what people do on it."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from importlib import resources

from aiohttp import web

from bot.sandbox.actions import ActionError, Actions, parse
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.guard import TOKEN_PLACEHOLDER
from bot.sandbox.snapshot import page_state

PREFIX = "/sandbox"
POLL_S = 25.0  # a state request waits this long for a change before answering anyway
STATIC = {"sandbox.css": "text/css", "sandbox.js": "text/javascript",
          "sandbox-act.js": "text/javascript"}
NO_CACHE = {"Cache-Control": "no-store"}


class SandboxPage:
    """Serves the page, and answers it from the fake Slack's state."""

    def __init__(self, fake: FakeSlack, actions: Actions, poll_s: float = POLL_S,
                 token: str = "", *, refresh: Callable[[], Awaitable[object]] | None = None
                 ) -> None:
        self.fake = fake
        self.actions = actions
        self.poll_s = poll_s
        self.token = token  # issued in the page; its actions send it back (bot/sandbox/guard.py)
        self.refresh = refresh  # before each state: the people read again if their files changed
        self.closing = False
        self.waiting = 0  # long polls in progress

    def add_routes(self, app: web.Application) -> None:
        """Mount the page, its files and its two endpoints; stop long polls on shutdown."""
        app.router.add_get("/", self.redirect)  # the root of a sandbox is its page
        app.router.add_get(PREFIX, self.index)
        app.router.add_get(f"{PREFIX}/", self.redirect)
        app.router.add_get(f"{PREFIX}/static/{{name}}", self.static)
        app.router.add_get(f"{PREFIX}/state", self.state)
        app.router.add_post(f"{PREFIX}/act", self.act)
        app.on_shutdown.append(self._on_shutdown)

    async def index(self, request: web.Request) -> web.Response:
        """The page with its token; never cached, so a restarted sandbox serves its own."""
        text = _read("index.html").replace(TOKEN_PLACEHOLDER, self.token)
        return web.Response(text=text, content_type="text/html", headers=NO_CACHE)

    async def redirect(self, request: web.Request) -> web.Response:
        """`/sandbox/` is typed as often as `/sandbox`, and `/` is what a browser opens: all
        lead to the page."""
        raise web.HTTPFound(PREFIX)

    async def static(self, request: web.Request) -> web.Response:
        """The page's own files only; nothing else of the package is reachable."""
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(text=_read(name), content_type=STATIC[name], headers=NO_CACHE)

    async def state(self, request: web.Request) -> web.Response:
        """The page as `as` sees it (the first person when unknown), as soon as the fake's
        version differs from `after`, or after a while."""
        if self.refresh is not None:
            await self.refresh()  # a person named since, or an edited users file, is news
        people = [u.id for u in self.fake.workspace.users.values() if not u.is_bot]
        user = request.query.get("as", "")
        if user not in people:
            user = people[0]
        try:
            after = int(request.query.get("after", "-1"))
        except ValueError:
            after = -1
        if after == self.fake.version and not self.closing:  # else it has news (or restarted)
            self.waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await self.fake.wait_for(
                        lambda: self.closing or self.fake.version != after, self.poll_s)
            finally:
                self.waiting -= 1
        return web.json_response(page_state(self.fake, user), headers=NO_CACHE)

    async def act(self, request: web.Request) -> web.Response:
        """One thing the person did; JSON only, so another site cannot post it from a browser."""
        if request.content_type != "application/json":
            return web.json_response({"ok": False, "error": "send application/json"}, status=415)
        try:
            answer = await self.actions.perform(parse(await request.text()))
        except ActionError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response(answer)

    async def _on_shutdown(self, app: web.Application) -> None:
        self.closing = True
        await self.fake.changed()  # wakes every long poll, so shutdown does not wait for them


def _read(name: str) -> str:
    return resources.files("bot.sandbox").joinpath("static", name).read_text(encoding="utf-8")
