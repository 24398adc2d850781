"""The fake Slack server: Web API at /api/{method}, response URLs, Socket Mode, faults, journal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from aiohttp import web

from bot.sandbox.fakeslack import methods_chat, methods_directory, methods_views
from bot.sandbox.fakeslack.api import ApiError, Args, Fake, Method
from bot.sandbox.fakeslack.ratelimit import RateLimits
from bot.sandbox.fakeslack.responses import respond_to_url
from bot.sandbox.fakeslack.socket import SocketLink
from bot.sandbox.fakeslack.state import (
    HANDLES,
    Message,
    ResponseUrl,
    SlackState,
    Trigger,
    ViewRecord,
)
from bot.sandbox.fakeslack.workspace import Workspace

T = TypeVar("T")

METHODS: dict[str, Method] = {
    "auth.test": methods_directory.auth_test,
    "apps.connections.open": methods_directory.connections_open,
    "chat.postMessage": methods_chat.post_message,
    "chat.update": methods_chat.update,
    "chat.postEphemeral": methods_chat.post_ephemeral,
    "conversations.open": methods_chat.conversations_open,
    "users.info": methods_directory.users_info,
    "usergroups.users.list": methods_directory.usergroups_users_list,
    "views.open": methods_views.views_open,
    "views.push": methods_views.views_push,
    "views.update": methods_views.views_update,
    "views.publish": methods_views.views_publish,
}
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


@dataclass(frozen=True, slots=True)
class Call:
    """One Web API call as the server saw and answered it."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class Fault:
    """An injected failure for the next call(s) of a method."""

    status: int = 429
    error: str = "ratelimited"
    retry_after: int | None = 1
    times: int = 1


@dataclass
class Hold:
    """The next call of a method that `matches` waits on arrival until released, as a slow
    network would keep it; tests use it to choose the order in which calls land."""

    method: str
    matches: Callable[[Args], bool]
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        """Let the held call through."""
        self.released.set()


@dataclass
class FakeSlack:
    """A Slack-compatible server on 127.0.0.1; `clock` (seconds) drives trigger and URL expiry
    and, when `limits` is set (`with_limits()`), Slack's rate limits."""

    workspace: Workspace = field(default_factory=Workspace)
    clock: Callable[[], float] = time.monotonic
    state: SlackState = field(default_factory=SlackState)
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)
    base_url: str = ""
    limits: RateLimits | None = None

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self.socket = SocketLink(self.workspace.app_id, self._notify)
        self.fake = Fake(self.workspace, self.state, lambda: self.clock(), self._socket_url)
        self.version = 0  # counts changes, so a client can ask for what happened after one
        self.app = web.Application()
        self.add_routes(self.app)
        self.app.router.add_get("/link", self.socket.handle)
        self._runner: web.AppRunner | None = None

    def add_routes(self, app: web.Application, prefix: str = "") -> None:
        """Serve the Web API and response URLs under `prefix` of an application (the sandbox
        mounts them on the bot's own server); set `base_url` to match before any request."""
        app.router.add_route("*", f"{prefix}/api/{{method}}", self._api)
        app.router.add_post(f"{prefix}/response/{{handle}}", self._response_url)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (port 0 picks a free one) and return the base URL."""
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{bound[0]}:{bound[1]}"
        return self.base_url

    async def close(self) -> None:
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be for a bot talking to this server."""
        return f"{self.base_url}/api/"

    def _socket_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/link"

    # ---- handles the Slack client would create -------------------------------------------

    def issue_trigger(self, user: str) -> str:
        """A trigger_id as Slack sends with an interaction: one use, three seconds."""
        trigger = Trigger(f"{self.state.next_number(HANDLES)}.{int(self.clock() * 1000)}.trigger",
                          user, self.clock())
        self.state.triggers[trigger.id] = trigger
        return trigger.id

    def issue_response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        """A response_url: five uses within thirty minutes."""
        handle = f"R{self.state.next_number(HANDLES):08d}"
        self.state.response_urls[handle] = ResponseUrl(handle, channel, user, self.clock(),
                                                       message_ts)
        return f"{self.base_url}/response/{handle}"

    def with_limits(self, clock: Callable[[], float] | None = None) -> Self:
        """Answer calls over Slack's published limits 429 with Retry-After (off by default),
        counted by `clock` (seconds; the fake's own clock when not given): a test counts them by
        the clock its bot paces itself by, while triggers and response URLs expire in real time."""
        self.limits = RateLimits(clock or self.clock)
        return self

    def fail_next(self, method: str, *, status: int = 429, error: str = "ratelimited",
                  retry_after: int | None = 1, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (429 with Retry-After by default)."""
        self.faults.setdefault(method, []).append(Fault(status, error, retry_after, times))

    # ---- reading what happened -----------------------------------------------------------

    def hold_next(self, method: str, matches: Callable[[Args], bool] = lambda args: True
                  ) -> Hold:
        """Keep the next call of `method` whose arguments match from taking effect until the
        returned hold is released; `hold.arrived` is set once it is waiting."""
        hold = Hold(method, matches)
        self.holds.append(hold)
        return hold

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages of a channel (a user id reads the bot's DM with that user)."""
        if channel in self.workspace.users:
            channel = self.workspace.dm_with(channel).id
        return self.state.in_channel(channel)

    def thread(self, channel: str, ts: str) -> list[Message]:
        return self.state.replies(channel, ts)

    def ephemerals(self, user: str) -> list[str]:
        """Texts of every ephemeral message shown to `user`."""
        return [e.text for e in self.state.ephemerals if e.user == user]

    def home(self, user: str) -> ViewRecord | None:
        return self.state.homes.get(user)

    def open_views(self, user: str) -> list[ViewRecord]:
        return [v for v in self.state.views.values() if v.user == user and not v.closed]

    async def wait_for(self, predicate: Callable[[], T], within_s: float = 5.0) -> T:
        """Wait until `predicate()` is truthy, re-checking after every change the server sees."""
        async with asyncio.timeout(within_s), self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                await self._changed.wait()

    def close_view(self, view: ViewRecord) -> None:
        """The person closed a modal: Slack closes it with every view stacked on it."""
        for record in list(self.state.views.values()):
            if record.root_id == view.root_id:
                record.closed = True
                self.state.put_view(record)
        self._notify()

    def _notify(self) -> None:
        asyncio.get_running_loop().create_task(self._notify_all())

    async def changed(self) -> None:
        """Count a change and wake everyone waiting for one."""
        await self._notify_all()

    async def _notify_all(self) -> None:
        async with self._changed:
            self.version += 1
            self._changed.notify_all()

    # ---- HTTP handlers ----------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        hold = next((h for h in self.holds if h.method == method and h.matches(args)), None)
        if hold is not None:
            self.holds.remove(hold)
            hold.arrived.set()
            await hold.released.wait()
        status, body, headers = self._call(method, args, _token(request, args))
        self.calls.append(Call(method, args, status, body))
        await self._notify_all()
        return web.json_response(body, status=status, headers=headers)

    def _call(self, method: str, args: Args, token: str | None
              ) -> tuple[int, dict[str, Any], dict[str, str]]:
        handler = METHODS.get(method)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}, {}
        auth_error = self._auth_error(method, token)
        if auth_error:
            return 200, {"ok": False, "error": auth_error}, {}
        if self.limits is not None:
            retry_after = self.limits.admit(method, self._channel_of(args))
            if retry_after is not None:
                return 429, {"ok": False, "error": "ratelimited"}, {
                    "Retry-After": str(retry_after)}
        fault = self._take_fault(method)
        if fault is not None:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            return fault.status, {"ok": False, "error": fault.error}, headers
        try:
            return 200, {"ok": True, **handler(self.fake, args)}, {}
        except ApiError as exc:
            return 200, {"ok": False, "error": exc.error, **exc.extra}, {}

    def _channel_of(self, args: Args) -> str | None:
        """The conversation a call names, a user id read as the DM with that user."""
        channel = args.get("channel")
        if not channel:
            return None
        if channel in self.workspace.users:
            return self.workspace.dm_with(str(channel)).id
        return str(channel)

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        expected = self.workspace.app_token if method in APP_TOKEN_METHODS else None
        valid = {expected} if expected else {self.workspace.bot_token}
        if method == "auth.test":
            valid = {self.workspace.bot_token, self.workspace.app_token}
        return None if token in valid else "invalid_auth"

    def _take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    async def _response_url(self, request: web.Request) -> web.Response:
        handle = self.state.response_urls.get(request.match_info["handle"])
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        status, text = respond_to_url(self.fake, handle, body)
        self.calls.append(Call("response_url", body, status, {"ok": status == 200, "text": text}))
        await self._notify_all()
        return web.Response(status=status, text=text)


async def _arguments(request: web.Request) -> Args:
    """Arguments from the query string, a JSON body or a form body, as slack_sdk sends them."""
    args: Args = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        else:
            args.update(dict(await request.post()))
    return {k: v for k, v in args.items() if isinstance(v, str | int | float | bool | list | dict)}


def _token(request: web.Request, args: Args) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    token = args.pop("token", None)
    return str(token) if token else None


def dumps(value: Any) -> str:
    """Compact JSON, as Slack's own payloads are."""
    return json.dumps(value, separators=(",", ":"))
