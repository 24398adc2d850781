"""Process settings, read once at start-up from the environment and the command line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

DEFAULT_POLICY = "changegate.yaml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
MOST_REPLICAS = 100
METADATA_KEY_MIN = 32  # characters of CHANGEGATE_METADATA_KEY
DATABASE_FILE = "changegate.db"
SLACK_API = "https://slack.com/api/"  # the Web API when SLACK_API_URL is unset
SLACK_VARIABLES = {  # each Slack setting and the Settings field it fills
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_API_URL": "slack_api_url",
    "SLACK_TEAM_ID": "slack_team_id",
    "SLACK_CHANNEL": "slack_channel",
}


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable and the value it expects."""


class Role(StrEnum):
    """What one `serve` process runs (docs/operations.md#running-web-and-relay-apart)."""

    WEB = "web"  # Slack's requests, the API and the deadline timers; leaves the outbox alone
    RELAY = "relay"  # the outbox relay delivering to Slack; health probes its only HTTP
    ALL = "all"  # both, in one process (the default; the sandbox's only role)

    @property
    def serves_web(self) -> bool:
        """Slack's requests, the REST API and the timers run in this process."""
        return self is not Role.RELAY

    @property
    def relays(self) -> bool:
        """The outbox relay delivers to Slack from this process."""
        return self is not Role.WEB


ROLES = ", ".join(role.value for role in Role)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process is configured with; secrets are kept out of the repr."""

    policy_path: Path
    database_url: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    slack_team_id: str | None = None
    slack_channel: str | None = None
    sandbox: bool = False
    database_given: bool = True  # False when database_url is the default beside the policy file
    sandbox_host: str = DEFAULT_HOST
    replicas: int = 1  # processes serving one Slack app: each keeps to its share of the limits
    metadata_key: str | None = field(default=None, repr=False)  # else from the Slack secrets
    role: Role = Role.ALL  # what this serve process runs: web, relay or all

    @classmethod
    def load(cls, environ: Mapping[str, str], *, policy: str | None = None,
             sandbox: bool = False, role: str | None = None) -> Settings:
        """Build settings from `environ`; a `--policy` given on the command line wins, and
        `--sandbox` asks for the sandbox workspace whatever the Slack variables say; a
        `--role` wins over CHANGEGATE_ROLE."""
        policy_path = Path(policy or _get(environ, "CHANGEGATE_POLICY") or DEFAULT_POLICY)
        database_given = _get(environ, "CHANGEGATE_DATABASE_URL") is not None
        return cls(
            policy_path=policy_path,
            database_url=_database_url(environ, policy_path),
            host=_get(environ, "CHANGEGATE_HOST") or DEFAULT_HOST,
            port=_port(environ),
            slack_signing_secret=_get(environ, "SLACK_SIGNING_SECRET"),
            slack_bot_token=_get(environ, "SLACK_BOT_TOKEN"),
            slack_app_token=_get(environ, "SLACK_APP_TOKEN"),
            slack_api_url=_http_url(environ, "SLACK_API_URL"),
            slack_team_id=_slack_id(environ, "SLACK_TEAM_ID", "T",
                                    "a workspace id such as T0123ABCD"),
            slack_channel=_slack_id(environ, "SLACK_CHANNEL", "CG",
                                    "a channel id such as C0123ABCD (not the #name)"),
            sandbox=sandbox,
            database_given=database_given,
            sandbox_host=_get(environ, "CHANGEGATE_SANDBOX_HOST") or DEFAULT_HOST,
            replicas=_replicas(environ),
            metadata_key=_metadata_key(environ),
            role=_role(environ, role),
        )

    @property
    def slack_enabled(self) -> bool:
        """Slack is served when a bot token is set."""
        return self.slack_bot_token is not None

    def slack_settings_given(self) -> list[str]:
        """The names of the Slack variables that are set."""
        return [name for name, attr in SLACK_VARIABLES.items() if getattr(self, attr) is not None]


def default_database_url(policy_path: Path, file: str = DATABASE_FILE) -> str:
    """A SQLite file in the policy file's directory."""
    return f"sqlite+aiosqlite:///{policy_path.resolve().parent / file}"


def _get(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's value without surrounding blanks; unset and empty are the same."""
    value = environ.get(name, "").strip()
    return value or None


def _database_url(environ: Mapping[str, str], policy_path: Path) -> str:
    url = _get(environ, "CHANGEGATE_DATABASE_URL")
    if url is None:
        return default_database_url(policy_path)
    from storage.database import DatabaseError, parse_url  # SQLAlchemy only when a URL is set

    try:
        parse_url(url)
    except DatabaseError as exc:
        raise SettingsError(f"CHANGEGATE_DATABASE_URL is not a database URL: {exc}") from None
    return url


def _port(environ: Mapping[str, str]) -> int:
    return _bounded(environ, "CHANGEGATE_PORT", DEFAULT_PORT, 0, 65535,
                    "a whole number from 0 to 65535 (0 picks a free port)")


def _replicas(environ: Mapping[str, str]) -> int:
    return _bounded(environ, "CHANGEGATE_REPLICAS", 1, 1, MOST_REPLICAS,
                    "the number of replicas serving this Slack app, a whole number from 1 to "
                    f"{MOST_REPLICAS}")


def _metadata_key(environ: Mapping[str, str]) -> str | None:
    """The secret that signs forms' hidden data, long enough not to be guessed; the value is
    never quoted back."""
    key = _get(environ, "CHANGEGATE_METADATA_KEY")
    if key is not None and len(key) < METADATA_KEY_MIN:
        raise SettingsError(f"CHANGEGATE_METADATA_KEY must be at least {METADATA_KEY_MIN} "
                            f"characters, got {len(key)}")
    return key


def _role(environ: Mapping[str, str], given: str | None) -> Role:
    """`--role` if given, else CHANGEGATE_ROLE, else all; anything else names where it came
    from and quotes the value back."""
    name, raw = ("--role", given.strip()) if given is not None else (
        "CHANGEGATE_ROLE", _get(environ, "CHANGEGATE_ROLE"))
    if raw is None:
        return Role.ALL
    try:
        return Role(raw.lower())
    except ValueError:
        raise SettingsError(f"{name} must be one of {ROLES}, got {raw!r}") from None


def _bounded(environ: Mapping[str, str], name: str, default: int, low: int, high: int,
             what: str) -> int:
    """A whole number from `low` to `high`, or the default when unset; anything else names
    the variable and quotes the value back."""
    raw = _get(environ, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SettingsError(f"{name} must be {what}, got {raw!r}")
    return value


def _slack_id(environ: Mapping[str, str], name: str, prefixes: str, what: str) -> str | None:
    value = _get(environ, name)
    if value is not None and not re.fullmatch(f"[{prefixes}][A-Z0-9]{{2,}}", value):
        raise SettingsError(f"{name} must be {what}, got {value!r}")
    return value


def _http_url(environ: Mapping[str, str], name: str) -> str | None:
    url = _get(environ, name)
    if url is not None and not url.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {url!r}")
    return url
