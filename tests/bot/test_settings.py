"""Settings come from the environment and --policy; a malformed value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_put_the_database_next_to_the_policy_file() -> None:
    settings = Settings.load({})

    assert settings.policy_path == Path("changegate.yaml")
    assert settings.database_url == f"sqlite+aiosqlite:///{Path.cwd() / 'changegate.db'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.slack_signing_secret is None
    assert settings.slack_bot_token is None
    assert settings.slack_app_token is None
    assert settings.slack_api_url is None


def test_database_follows_a_policy_file_in_another_directory(tmp_path: Path) -> None:
    settings = Settings.load({"CHANGEGATE_POLICY": str(tmp_path / "conf" / "policy.yaml")})

    assert settings.policy_path == tmp_path / "conf" / "policy.yaml"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'conf' / 'changegate.db'}"


def test_command_line_policy_wins_over_the_environment() -> None:
    settings = Settings.load({"CHANGEGATE_POLICY": "env.yaml"}, policy="cli.yaml")

    assert settings.policy_path == Path("cli.yaml")


def test_every_variable_is_read() -> None:
    settings = Settings.load(
        {
            "CHANGEGATE_DATABASE_URL": "postgresql+asyncpg://bot:pw@db:5432/changegate",
            "CHANGEGATE_HOST": "0.0.0.0",
            "CHANGEGATE_PORT": "3000",
            "SLACK_SIGNING_SECRET": "signing",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9000/api/",
        }
    )

    assert settings.database_url == "postgresql+asyncpg://bot:pw@db:5432/changegate"
    assert (settings.host, settings.port) == ("0.0.0.0", 3000)
    assert settings.slack_signing_secret == "signing"
    assert settings.slack_bot_token == "xoxb-1"
    assert settings.slack_app_token == "xapp-1"
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"


def test_empty_variables_count_as_unset() -> None:
    settings = Settings.load({"CHANGEGATE_PORT": "", "CHANGEGATE_HOST": " ", "SLACK_BOT_TOKEN": ""})

    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.slack_bot_token is None


def test_secrets_stay_out_of_the_repr() -> None:
    settings = Settings.load(
        {
            "SLACK_SIGNING_SECRET": "sig-123",
            "SLACK_BOT_TOKEN": "xoxb-123",
            "SLACK_APP_TOKEN": "xapp-123",
        }
    )

    text = repr(settings)
    assert "sig-123" not in text
    assert "xoxb-123" not in text
    assert "xapp-123" not in text


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CHANGEGATE_PORT", "eighty", "CHANGEGATE_PORT must be a whole number from 0 to 65535"),
        ("CHANGEGATE_PORT", "65536", "CHANGEGATE_PORT must be a whole number from 0 to 65535"),
        ("CHANGEGATE_PORT", "-1", "CHANGEGATE_PORT must be a whole number from 0 to 65535"),
        (
            "CHANGEGATE_DATABASE_URL",
            "changegate.db",
            "CHANGEGATE_DATABASE_URL is not a database URL",
        ),
        ("SLACK_API_URL", "slack.example.com/api", "SLACK_API_URL must start with http"),
        ("CHANGEGATE_REPLICAS", "0", "CHANGEGATE_REPLICAS must be the number of replicas"),
        ("CHANGEGATE_REPLICAS", "101", "CHANGEGATE_REPLICAS must be the number of replicas"),
        ("CHANGEGATE_REPLICAS", "2.5", "CHANGEGATE_REPLICAS must be the number of replicas"),
        ("CHANGEGATE_REPLICAS", "³", "CHANGEGATE_REPLICAS must be the number of replicas"),
    ],
)
def test_malformed_value_names_its_variable(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load({name: value})

    assert str(caught.value).startswith(expected)


def test_malformed_port_is_quoted_back() -> None:
    with pytest.raises(SettingsError, match="got 'eighty'"):
        Settings.load({"CHANGEGATE_PORT": "eighty"})


def test_replicas_default_to_one_and_are_read_as_a_count() -> None:
    assert Settings.load({}).replicas == 1
    assert Settings.load({"CHANGEGATE_REPLICAS": " 3 "}).replicas == 3
