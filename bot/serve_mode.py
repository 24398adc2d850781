"""What `serve` runs: Slack when it is fully configured, the sandbox only when asked for or on its
own database. A partial Slack configuration is an error, never a fall-back to the sandbox, whose
page lets anyone act as anyone."""

from __future__ import annotations

from dataclasses import replace

from bot.settings import Role, Settings, SettingsError, default_database_url

SANDBOX_DATABASE_FILE = "sandbox.db"  # the sandbox's own database, beside the policy file
SERVE_SLACK = "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to serve Slack"
ONE_ROLE = "drop --role and CHANGEGATE_ROLE"


def serve_settings(settings: Settings) -> Settings:
    """The settings `serve` runs with, or a SettingsError naming the missing variable."""
    if settings.sandbox:
        if settings.role is not Role.ALL:
            raise SettingsError(f"--sandbox runs as role all only (web and relay in one "
                                f"process), not role {settings.role}: {ONE_ROLE}")
        return sandboxed(settings)
    given = settings.slack_settings_given()
    if not given:
        if settings.database_given:
            raise SettingsError(
                f"no Slack settings, and CHANGEGATE_DATABASE_URL is not the sandbox's own "
                f"database: {SERVE_SLACK}, or pass --sandbox to serve the sandbox workspace")
        if settings.role is not Role.ALL:
            raise SettingsError(f"role {settings.role} is for Slack, but no Slack settings "
                                f"are set: {SERVE_SLACK}; without them serve runs the "
                                f"sandbox, as role all only: {ONE_ROLE}")
        return sandboxed(settings)
    problem = missing_slack_setting(settings)
    if problem is not None:
        raise SettingsError(problem)
    return settings


def missing_slack_setting(settings: Settings) -> str | None:
    """What keeps the Slack settings from being complete, naming the variable; None if nothing."""
    if settings.slack_bot_token is None:
        given = settings.slack_settings_given()
        return (f"SLACK_BOT_TOKEN is missing, but {' and '.join(given)} "
                f"{'is' if len(given) == 1 else 'are'} set: {SERVE_SLACK}, or unset them "
                f"and pass --sandbox to serve the sandbox workspace")
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        return ("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) is missing, "
                "but SLACK_BOT_TOKEN is set: set one of them")
    return None


def sandboxed(settings: Settings) -> Settings:
    """The sandbox on loopback (unless CHANGEGATE_SANDBOX_HOST says otherwise) and, unless
    CHANGEGATE_DATABASE_URL names one, on its own database: never production's by default."""
    database = (settings.database_url if settings.database_given
                else default_database_url(settings.policy_path, SANDBOX_DATABASE_FILE))
    return replace(settings, sandbox=True, host=settings.sandbox_host, database_url=database)
