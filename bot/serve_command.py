"""`changegate serve`: open the database, then serve Slack or the sandbox workspace; kept apart
so that every other command starts without the server's imports."""

from __future__ import annotations

import asyncio

from bot.database_commands import fail
from bot.sandbox.serve import run_sandbox
from bot.serve_mode import serve_settings
from bot.server import ServerError, run_server
from bot.settings import Settings, SettingsError
from storage.database import DatabaseError, create_database
from workflow.policy import Policy


def serve(settings: Settings, policy: Policy) -> int:
    """Open the database, then serve Slack or the sandbox workspace (bot/serve_mode.py) until
    SIGINT or SIGTERM."""
    try:
        settings = serve_settings(settings)
    except SettingsError as exc:
        return fail(str(exc))

    async def start() -> None:
        await create_database(settings.database_url)
        if settings.sandbox:
            await run_sandbox(settings, policy)
        else:
            await run_server(settings, policy.version)

    try:
        asyncio.run(start())
    except (DatabaseError, ServerError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signal
        return 130
    return 0
