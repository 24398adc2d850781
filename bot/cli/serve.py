"""`changegate serve`: open the database, then serve Slack or the sandbox workspace; kept apart
so that every other command starts without the server's imports."""

from __future__ import annotations

import asyncio
import sys

from bot.cli.fail import fail
from bot.sandbox.serve import run_sandbox
from bot.serve_mode import serve_settings
from bot.server import ServerError, run_server
from bot.settings import Settings, SettingsError
from storage.database import DatabaseError, create_database, open_database, redact_url
from storage.serve_lock import AlreadyServed, serving
from storage.sql.served_policy import serve_policy
from workflow.policy import Policy

SECOND_SANDBOX = (". It is this policy's sandbox database, so a sandbox probably runs already: "
                  "use its page (the address its terminal printed), or stop it with Ctrl-C "
                  "there; to run a second sandbox beside it, give it a database of its own (the "
                  "policy in another directory, or CHANGEGATE_DATABASE_URL)")


def serve(settings: Settings, policy: Policy) -> int:
    """Open the database, then serve Slack or the sandbox workspace (bot/serve_mode.py) until
    SIGINT or SIGTERM."""
    try:
        settings = serve_settings(settings)
    except SettingsError as exc:
        return fail(str(exc))

    async def start() -> None:
        await create_database(settings.database_url)
        await warn_of_another_policy(settings)
        if settings.sandbox:
            await run_sandbox(settings, policy)
        else:
            await run_server(settings, policy.version)

    try:
        # a second serve of one SQLite file stops here; one web and one relay may share it
        with serving(settings.database_url, web=settings.role.serves_web,
                     relay=settings.role.relays):
            asyncio.run(start())
    except AlreadyServed as exc:  # on the sandbox's own database: most likely a sandbox too
        own = settings.sandbox and not settings.database_given
        return fail(f"{exc}{SECOND_SANDBOX if own else ''}")
    except (DatabaseError, ServerError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signal
        return 130
    return 0


async def warn_of_another_policy(settings: Settings) -> None:
    """Record the policy file in the database, and warn when it was served with another one:
    the changes and tokens of one policy would show up under the other."""
    db = await open_database(settings.database_url, migrate=False)
    try:
        before = await serve_policy(db, str(settings.policy_path.resolve()))
    finally:
        await db.dispose()
    if before is not None:
        print(f"changegate: warning: database {redact_url(settings.database_url)} was served "
              f"with policy {before} before, now with {settings.policy_path.resolve()}: their "
              "changes and tokens are mixed; give each policy its own database "
              "(CHANGEGATE_DATABASE_URL)", file=sys.stderr, flush=True)
