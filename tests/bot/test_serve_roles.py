"""`changegate serve --role web|relay|all`: the role is read from --role or CHANGEGATE_ROLE and a
bad one is named; the sandbox runs role all only; one web and one relay process may share a
SQLite file, never two of either (the serve lock, per role); and as processes, a proposal made
through the web process reaches Slack through the relay process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bench.processes import Server, start
from bot.cli.main import main
from bot.sandbox.fakeslack import FakeSlack, SlackDriver
from bot.serve_mode import serve_settings
from bot.settings import Role, Settings, SettingsError
from storage.database import DatabaseError
from storage.serve_lock import serving
from tests.slack.harness import CHANNEL, POLICY, REQUESTER, SECRET, proposal_values, workspace
from tests.support.served import finish, start_cli

STARTUP_TIMEOUT = 30.0
DELIVERED_WITHIN_S = 15.0
TOKEN = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "signing"}


# ---- the setting -----------------------------------------------------------------------------

def test_the_role_is_all_unless_asked() -> None:
    assert Settings.load({}).role is Role.ALL
    assert Settings.load({"CHANGEGATE_ROLE": "relay"}).role is Role.RELAY
    assert Settings.load({"CHANGEGATE_ROLE": " Web "}).role is Role.WEB


def test_the_command_line_role_wins_over_the_environment() -> None:
    assert Settings.load({"CHANGEGATE_ROLE": "relay"}, role="web").role is Role.WEB


def test_what_each_role_runs() -> None:
    assert [(r.serves_web, r.relays) for r in (Role.WEB, Role.RELAY, Role.ALL)] == [
        (True, False), (False, True), (True, True)]


def test_a_bad_role_names_where_it_came_from() -> None:
    with pytest.raises(SettingsError) as from_environment:
        Settings.load({"CHANGEGATE_ROLE": "worker"})
    with pytest.raises(SettingsError) as from_command_line:
        Settings.load({"CHANGEGATE_ROLE": "web"}, role="both")

    assert str(from_environment.value) == (
        "CHANGEGATE_ROLE must be one of web, relay, all, got 'worker'")
    assert str(from_command_line.value) == "--role must be one of web, relay, all, got 'both'"


def test_serve_with_a_bad_role_exits_1_naming_the_flag(
        example_policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--role", "web,relay", "--policy", str(example_policy)]) == 1

    assert capsys.readouterr().err == (
        "changegate: --role must be one of web, relay, all, got 'web,relay'\n")


@pytest.mark.parametrize("role", ["web", "relay"])
def test_the_sandbox_runs_role_all_only(example_policy: Path, role: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--sandbox", "--role", role, "--policy", str(example_policy)]) == 1

    assert capsys.readouterr().err == (
        f"changegate: --sandbox runs as role all only (web and relay in one process), not role "
        f"{role}: drop --role and CHANGEGATE_ROLE\n")


def test_a_role_without_slack_settings_is_refused_not_sandboxed() -> None:
    with pytest.raises(SettingsError, match="role relay is for Slack, but no Slack settings"):
        serve_settings(Settings.load({}, role="relay"))
    assert serve_settings(Settings.load({}, role="all")).sandbox
    assert serve_settings(Settings.load(TOKEN, role="web")).role is Role.WEB


# ---- the serve lock --------------------------------------------------------------------------

def test_one_web_and_one_relay_share_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'changegate.db'}"
    with serving(url, web=True, relay=False), serving(url, web=False, relay=True):
        assert (tmp_path / "changegate.db.serve-lock").is_file()
        assert (tmp_path / "changegate.db.relay-lock").is_file()


def refused(url: str, *, web: bool, relay: bool) -> str:
    with pytest.raises(DatabaseError) as refusal, serving(url, web=web, relay=relay):
        pass
    return str(refusal.value)


@pytest.mark.parametrize(("held", "second", "says"), [
    ("web", "web", "already served by process"),
    ("all", "all", "already served by process"),
    ("web", "all", "already served by process"),
    ("all", "web", "already served by process"),
    ("relay", "relay", "already relayed to Slack by process"),
    ("relay", "all", "already relayed to Slack by process"),
    ("all", "relay", "already relayed to Slack by process"),
])
def test_never_two_of_one_role_on_a_sqlite_file(tmp_path: Path, held: str, second: str,
                                                says: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'changegate.db'}"
    first, then = Role(held), Role(second)
    with serving(url, web=first.serves_web, relay=first.relays):
        message = refused(url, web=then.serves_web, relay=then.relays)
    assert f"database {(tmp_path / 'changegate.db').resolve()} is {says} {os.getpid()}" in message
    with serving(url, web=then.serves_web, relay=then.relays):  # free again once it stopped
        pass


def test_postgresql_takes_no_lock_whatever_the_role() -> None:
    url = "postgresql+asyncpg://bot@db:5432/changegate"
    with serving(url, web=True, relay=False), serving(url, web=True, relay=False):
        pass


# ---- as processes ----------------------------------------------------------------------------

@pytest.fixture
def policy(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "changegate.yaml"
    path.write_text(POLICY, encoding="utf-8")
    yield path


def environment(fake: FakeSlack, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHANGEGATE_", "SLACK_"))}
    return {**env, "CHANGEGATE_PORT": "0", "CHANGEGATE_DATABASE_URL":
            f"sqlite+aiosqlite:///{database}", "SLACK_BOT_TOKEN": fake.workspace.bot_token,
            "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
            "SLACK_CHANNEL": CHANNEL, "SLACK_TEAM_ID": fake.workspace.team_id}


async def serve_as(role: str, policy: Path, env: dict[str, str], log: Path) -> Server:
    return await start(["-m", "bot.cli", "serve", "--role", role, "--policy", str(policy)],
                       env, log, STARTUP_TIMEOUT)


async def test_web_and_relay_processes_on_one_sqlite_file(tmp_path: Path, policy: Path) -> None:
    database = tmp_path / "changegate.db"
    async with FakeSlack(workspace()) as fake:
        env = environment(fake, database)
        web_log, relay_log = tmp_path / "web.log", tmp_path / "relay.log"
        web_side = await serve_as("web", policy, env, web_log)
        relay_side: Server | None = None
        try:
            relay_side = await serve_as("relay", policy, {**env, "CHANGEGATE_ROLE": "relay"},
                                        relay_log)
            seconds = [await finish(await start_cli("serve", "--role", role, "--policy",
                                                    str(policy), env=env))
                       for role in ("web", "relay", "all")]

            async with SlackDriver(fake, f"{web_side.url}/slack/events", SECRET) as driver:
                assert (await driver.slash(REQUESTER, "new")).status == 200
                form = await fake.wait_for(lambda: fake.open_views(REQUESTER), 10.0)
                await driver.submit(REQUESTER, form[-1], proposal_values(risk="medium"))
                card = await fake.wait_for(
                    lambda: [m for m in fake.messages(CHANNEL) if m.text.startswith("CHG-1 ")],
                    DELIVERED_WITHIN_S)

            async with aiohttp.ClientSession() as session:
                async with session.get(f"{relay_side.url}/healthz") as health:
                    relay_health = await health.json()
                async with session.get(f"{relay_side.url}/api/v1/readyz") as ready:
                    relay_ready = ready.status
                async with session.post(f"{relay_side.url}/slack/events") as events:
                    relay_events = events.status
                async with session.get(f"{web_side.url}/healthz") as health:
                    web_health = await health.json()
            assert await relay_side.stop() == 0, relay_log.read_text()
            assert await web_side.stop() == 0, web_log.read_text()
        finally:
            await web_side.kill()
            if relay_side is not None:
                await relay_side.kill()

    assert [s.code for s in seconds] == [1, 1, 1]
    locked = database.resolve()
    assert seconds[0].err.startswith(f"changegate: database {locked} is already served by "
                                     f"process {web_side.pid} ")
    assert seconds[1].err.startswith(f"changegate: database {locked} is already relayed to "
                                     f"Slack by process {relay_side.pid} ")
    assert "already served by" in seconds[2].err
    assert card
    assert (relay_health["role"], relay_ready, relay_events) == ("relay", 200, 404)
    assert web_health["role"] == "web"
