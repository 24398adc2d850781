"""Token stores (memory, SQLite, PostgreSQL) and the `changegate token` commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.database import open_database
from storage.memory_tokens import MemoryTokens
from storage.sql.schema import api_tokens
from storage.sql.tokens import SqlTokens
from storage.tokens import TokenError, TokenNotFound, TokenStore, bearer_hash
from tests.support.backends import BACKENDS
from tests.support.clock import TestClock
from tests.support.databases import fresh_database

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "examples" / "changegate.yaml"


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TokenStore]:
    if request.param == "memory":
        yield MemoryTokens()
        return
    async with fresh_database(request.param, tmp_path) as db:
        yield SqlTokens(db)


async def test_a_token_authenticates_as_its_user_until_revoked(store: TokenStore) -> None:
    clock = TestClock()
    issued = await store.create("ci", "U0CI", ["read", "submit"], clock.now())

    found = await store.authenticate(issued.bearer)
    assert found is not None
    assert (found.user, found.name, found.scopes) == ("U0CI", "ci", frozenset({"read", "submit"}))
    assert await store.authenticate(issued.bearer[:-1] + "x") is None
    assert await store.authenticate("cg_" + "0" * 12 + "_" + "a" * 43) is None
    assert await store.authenticate("not a token") is None

    clock.advance(minutes=5)
    revoked = await store.revoke("ci", clock.now())
    assert revoked.revoked_at == clock.now()
    assert await store.authenticate(issued.bearer) is None
    again = await store.revoke(issued.token.id, clock.now())
    assert again.revoked_at == revoked.revoked_at


async def test_a_name_is_unique_among_live_tokens_only(store: TokenStore) -> None:
    clock = TestClock()
    first = await store.create("deploy", "U0A1", ["read"], clock.now())
    with pytest.raises(TokenError, match="already named 'deploy'"):
        await store.create("deploy", "U0A2", ["read"], clock.now())

    await store.revoke("deploy", clock.now())
    second = await store.create("deploy", "U0A2", ["apply"], clock.advance(seconds=1))

    listed = await store.list()
    assert [t.id for t in listed] == [first.token.id, second.token.id]
    assert [t.live for t in listed] == [False, True]
    with pytest.raises(TokenNotFound):
        await store.revoke("nobody", clock.now())


@pytest.mark.parametrize(("name", "user", "scopes", "message"), [
    ("bad name", "U0A1", ["read"], "token name"),
    ("ok", "someone", ["read"], "Slack user id"),
    ("ok", "U0A1", ["root"], "unknown: root"),
    ("ok", "U0A1", [], "non-empty"),
])
async def test_malformed_tokens_are_refused(name: str, user: str, scopes: list[str],
                                            message: str) -> None:
    with pytest.raises(TokenError, match=message):
        await MemoryTokens().create(name, user, scopes, TestClock().now())


@pytest.mark.parametrize("user", ["system", "", "U", "u0a1", "U0A1 ", "U0A1\n", "B0BOT", "U0-A1"])
async def test_no_token_acts_as_system_or_a_malformed_id(store: TokenStore, user: str) -> None:
    with pytest.raises(TokenError, match="Slack user id"):
        await store.create("pipeline", user, ["apply"], TestClock().now())

    assert await store.list() == []


async def test_only_a_hash_of_the_secret_is_stored(tmp_path: Path) -> None:
    async with fresh_database("sqlite", tmp_path) as db:
        issued = await SqlTokens(db).create("ci", "U0CI", ["read"], TestClock().now())
        async with db.reader.connect() as conn:
            rows = (await conn.execute(select(api_tokens))).all()
    assert len(rows) == 1
    assert issued.bearer not in str(tuple(rows[0]))
    assert rows[0].secret_sha256 == bearer_hash(issued.bearer)


def test_token_commands_create_list_and_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}"
    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", url)
    policy = ["--policy", str(EXAMPLE_POLICY)]

    assert main(["token", "create", "--user", "U0PIPE", "--name", "pipeline",
                 "--scopes", "read,submit,apply", *policy]) == 0
    out, err = capsys.readouterr()
    bearer = out.strip()
    assert bearer.startswith("cg_") and "\n" not in bearer
    assert "shown only this once" in err

    assert main(["token", "list", *policy]) == 0
    listed = capsys.readouterr().out
    assert "pipeline" in listed and "U0PIPE" in listed and "apply,read,submit" in listed
    assert bearer not in listed

    async def authenticate() -> object:
        db = await open_database(url, migrate=False)
        try:
            return await SqlTokens(db).authenticate(bearer)
        finally:
            await db.dispose()

    assert asyncio.run(authenticate()) is not None
    assert main(["token", "revoke", "pipeline", *policy]) == 0
    assert "revoked" in capsys.readouterr().out
    assert asyncio.run(authenticate()) is None

    assert main(["token", "revoke", "pipeline", *policy]) == 1
    assert "no token has the id or live name 'pipeline'" in capsys.readouterr().err
    for user in ("nobody", "system"):
        assert main(["token", "create", "--user", user, "--name", "x", "--scopes", "read",
                     *policy]) == 1
        assert "Slack user id" in capsys.readouterr().err


def test_token_list_json_never_shows_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}")
    policy = ["--policy", str(EXAMPLE_POLICY)]
    assert main(["token", "create", "--user", "U0A1", "--name", "a", "--scopes", "admin",
                 "--json", *policy]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["token"].startswith("cg_")

    assert main(["token", "list", "--json", *policy]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{k: v for k, v in created.items() if k != "token"}]


def test_token_list_without_a_database_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'no.db'}")

    assert main(["token", "list", "--policy", str(EXAMPLE_POLICY)]) == 1

    assert "changegate db upgrade" in capsys.readouterr().err
