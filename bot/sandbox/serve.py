"""`changegate serve` as a sandbox: the bot, its REST API, a fake Slack and the page, on one port.

The bot checks its token with auth.test while it is built, before its server exists; so the
listening socket is bound first, the fake's Web API answers on it during the build, and then the
whole application takes the same socket over. Nothing else can grab the port in between.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from aiohttp import web

from bot.composition import Runtime, StartupError, open_runtime
from bot.listen_error import cannot_listen
from bot.policy_reload import reloading
from bot.sandbox.directory import DirectoryError
from bot.sandbox.mount import SandboxWorkspace
from bot.sandbox.people import People, watching
from bot.sandbox.web import POLL_S
from bot.sandbox.workspace_file import WorkspaceFile, WorkspaceFileError, open_workspace_file
from bot.server import ServerError, create_app, runner_for, stop_signals, url_host
from bot.settings import Settings
from bot.slack.outbound.pacing import DEFAULT_INTERVAL_S, Sleep
from storage.database import DatabaseError, redact_url
from storage.errors import StorageError
from workflow.policy import Policy
from workflow.ports import Clock

LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
ANYONE = "no login: anyone who reaches it can act as anyone"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RunningSandbox:
    """A served sandbox: the server's address, the page's, and handles for tests."""

    url: str
    page_url: str
    runtime: Runtime
    workspace: SandboxWorkspace


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0 picks a free port), or a ServerError saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise ServerError(cannot_listen(host, port, exc)) from exc


async def run_sandbox(settings: Settings, policy: Policy) -> None:
    """Serve the sandbox until SIGINT or SIGTERM; the start-up line names the page and warns
    that whoever reaches it can act as anyone."""
    async with running_sandbox(settings, policy, policy.version) as sandbox:

        async def reloaded() -> None:
            await sandbox.workspace.refresh()  # a person the new policy names, at once
            await sandbox.runtime.kept_apart()

        with stop_signals() as stopped:
            async with reloading(sandbox.runtime.policy, reloaded=reloaded), \
                    watching(sandbox.workspace.refresh):
                print(f"ChangeGate listening on {sandbox.url} (policy {policy.version[:12]}, "
                      f"database {redact_url(settings.database_url)}); sandbox workspace: open "
                      f"{sandbox.page_url} ({ANYONE})", flush=True)
                received = await stopped
        print(f"ChangeGate stopping on {received.name}", flush=True)


@asynccontextmanager
async def running_sandbox(settings: Settings, policy: Policy, policy_version: str, *,
                          clock: Clock | None = None, pacing_s: float = DEFAULT_INTERVAL_S,
                          memory: bool = False, poll_s: float = POLL_S,
                          pacing_clock: Callable[[], float] = time.monotonic,
                          pacing_sleep: Sleep = asyncio.sleep
                          ) -> AsyncIterator[RunningSandbox]:
    """Serve the sandbox until the block ends; `memory` keeps changes, and what the workspace
    shows, in this process (else the workspace is kept in its file beside the database,
    bot/sandbox/workspace_file.py); `pacing_clock` and `pacing_sleep` as for open_runtime
    (tests: a clock moved by sleeps)."""
    people = People(settings.policy_path)
    try:
        directory = people.load(policy)
    except DirectoryError as exc:
        raise ServerError(str(exc)) from None
    kept = None if memory else await _workspace_file(settings)
    try:
        sock = listen(settings.host, settings.port)
        try:
            port = sock.getsockname()[1]
            internal = f"http://{url_host(LOOPBACK.get(settings.host, settings.host))}:{port}"
            workspace = SandboxWorkspace(directory, internal, poll_s, store=kept)
            async with _answering(workspace, sock):
                runtime = await _runtime(settings, workspace, clock, pacing_s, memory,
                                         pacing_clock, pacing_sleep)
            workspace.follow(people, runtime.policy)
            try:
                runner = runner_for(create_app(policy_version, runtime))
                await runner.setup()
            except BaseException:
                await runtime.close()
                raise
            try:
                await web.SockSite(runner, sock).start()
                await workspace.open()
                await runtime.start()
                url = f"http://{url_host(settings.host)}:{port}"
                yield RunningSandbox(url, workspace.page_url, runtime, workspace)
            finally:
                await runtime.close()  # stops timers and delivery while the fake still answers
                await runner.cleanup()
        finally:
            sock.close()
    finally:
        if kept is not None:  # after the last request the fake answered
            kept.close()


async def _workspace_file(settings: Settings) -> WorkspaceFile:
    """The sandbox's workspace file for its database, or a ServerError saying why not."""
    try:
        return await open_workspace_file(settings.database_url, settings.policy_path)
    except WorkspaceFileError as exc:
        raise ServerError(str(exc)) from None
    except DatabaseError:
        raise  # its message names the database and what to do
    except StorageError as exc:
        raise ServerError(f"cannot open database {redact_url(settings.database_url)}: {exc}"
                          ) from exc


async def _runtime(settings: Settings, workspace: SandboxWorkspace, clock: Clock | None,
                   pacing_s: float, memory: bool, pacing_clock: Callable[[], float],
                   pacing_sleep: Sleep) -> Runtime:
    w = workspace.fake.workspace
    sandboxed = sandbox_settings(settings, api_url=workspace.api_url, bot_token=w.bot_token,
                                 team_id=w.team_id, signing_secret=workspace.signing_secret,
                                 channel=workspace.directory.default_channel)
    try:
        return await open_runtime(sandboxed, clock=clock, pacing_s=pacing_s, memory=memory,
                                  environ=sandbox_environ(), mounts=[workspace],
                                  pacing_clock=pacing_clock, pacing_sleep=pacing_sleep)
    except StartupError as exc:
        raise ServerError(str(exc)) from exc


@asynccontextmanager
async def _answering(workspace: SandboxWorkspace, sock: socket.socket) -> AsyncIterator[None]:
    """The fake's Web API alone on (a duplicate of) the socket while the bot is built; every
    answer closes its connection, so the bot keeps none to this short-lived server."""

    @web.middleware
    async def closing(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.force_close()
        return response

    app = web.Application(middlewares=[closing])
    workspace.add_api_routes(app)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.SockSite(runner, sock.dup()).start()
        yield
    finally:
        await runner.cleanup()


def sandbox_settings(settings: Settings, *, api_url: str, bot_token: str, team_id: str,
                     signing_secret: str, channel: str) -> Settings:
    """The settings pointed at an in-process sandbox workspace instead of Slack: HTTP mode with
    a secret made for this run; any Slack credentials of the environment are left unused."""
    return replace(settings, slack_api_url=api_url, slack_bot_token=bot_token,
                   slack_team_id=team_id, slack_signing_secret=signing_secret,
                   slack_app_token=None, slack_channel=channel)


def sandbox_environ(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment for a sandbox's executors: this Python's directory first on PATH, so
    an executor written as `[python, -m, …]` runs with the packages ChangeGate runs with."""
    here = os.path.dirname(sys.executable)
    path = environ.get("PATH", "")
    return {**environ, "PATH": os.pathsep.join(p for p in (here, path) if p)}
