"""The bot's HTTP server: health, Slack's /slack/events, and a run loop that stops on a signal."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import web

from bot.api.app import mount_api
from bot.composition import Runtime, StartupError, api_for, open_runtime
from bot.listen_error import cannot_listen
from bot.policy_reload import reloading
from bot.problem_server import ProblemRunner
from bot.root_page import add_root_page
from bot.settings import Role, Settings
from storage.database import redact_url

VersionOf = Callable[[], str]
POLICY_VERSION: web.AppKey[VersionOf] = web.AppKey("policy_version")
ROLE: web.AppKey[Role] = web.AppKey("role")
SHUTDOWN_TIMEOUT = 10.0  # seconds in-flight requests get to finish after a stop signal
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ServerError(Exception):
    """The server cannot start, e.g. because its port is taken."""


async def healthz(request: web.Request) -> web.Response:
    """Liveness probe; also tells which policy file version the process runs with now, and its
    role when it runs only part of the bot (`serve --role web|relay`)."""
    body = {"status": "ok", "policy_version": request.app[POLICY_VERSION]()}
    role = request.app.get(ROLE)
    if role is not None and role is not Role.ALL:
        body["role"] = role.value
    return web.json_response(body)


def create_app(policy_version: str, runtime: Runtime | None = None) -> web.Application:
    """Build the aiohttp application with every route of the bot; the version reported is the
    runtime's policy in force (it follows reloads), else `policy_version`. A relay process
    (`--role relay`) serves its health probes only: /healthz and /api/v1/readyz."""
    app = web.Application()
    app[POLICY_VERSION] = (lambda: runtime.policy.version) if runtime else (lambda: policy_version)
    app.router.add_get("/healthz", healthz)
    if runtime is not None:
        app[ROLE] = runtime.settings.role
        runtime.add_routes(app)
        mount_api(app, api_for(runtime))  # REST API under /api/v1 (bot/api); a relay's: readyz
        if not runtime.settings.role.serves_web:
            return app
    add_root_page(app)
    return app


def runner_for(app: web.Application) -> web.AppRunner:
    """The runner of the bot's server (the sandbox's too): every error answered as problem
    details, and SHUTDOWN_TIMEOUT for requests in flight at a stop."""
    return ProblemRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT)


async def run_server(
    settings: Settings, policy_version: str, runtime: Runtime | None = None
) -> None:
    """Serve until SIGINT or SIGTERM (reloading the policy on SIGHUP or when its file
    changes), then let in-flight requests finish and close."""
    owned = runtime is None
    if runtime is None:
        try:
            runtime = await open_runtime(settings)
        except StartupError as exc:
            raise ServerError(str(exc)) from exc
    try:
        await _serve(settings, policy_version, runtime)
    finally:
        if owned:
            await runtime.close()


async def _serve(settings: Settings, policy_version: str, runtime: Runtime) -> None:
    runner = runner_for(create_app(policy_version, runtime))
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise ServerError(cannot_listen(settings.host, settings.port, exc)) from exc
        port = runner.addresses[0][1]
        await runtime.start()
        with stop_signals() as stopped:
            async with reloading(runtime.policy, reloaded=runtime.kept_apart):
                print(
                    f"ChangeGate listening on http://{url_host(settings.host)}:{port} "
                    f"(policy {policy_version[:12]}, database "
                    f"{redact_url(settings.database_url)}{role_note(settings.role)})",
                    flush=True,
                )
                received = await stopped
        print(f"ChangeGate stopping on {received.name}", flush=True)
    finally:
        await runner.cleanup()


@contextmanager
def stop_signals() -> Iterator[asyncio.Future[signal.Signals]]:
    """SIGINT and SIGTERM caught from here on, before the listening line tells anyone to send
    one; the future is the first received (also what the sandbox's server waits for)."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[signal.Signals] = loop.create_future()

    def on_signal(signum: signal.Signals) -> None:
        if not received.done():
            received.set_result(signum)

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        yield received
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


def role_note(role: Role) -> str:
    """What the listening line adds for a process running part of the bot."""
    if role is Role.WEB:
        return "; role web: Slack delivery is left to a relay process"
    if role is Role.RELAY:
        return "; role relay: delivering to Slack, serving health checks only"
    return ""


def url_host(host: str) -> str:
    """A host as it goes in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host
