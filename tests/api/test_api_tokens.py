"""API tokens on SQL keep only a hash of the secret, and the `changegate token` commands (every
store's contract is tests/contract/test_tokens.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.main import main
from storage.database import open_database
from storage.sql.schema import api_tokens
from storage.sql.tokens import SqlTokens
from storage.tokens import bearer_hash
from tests.support.clock import TestClock
from tests.support.databases import fresh_database

EXAMPLE_POLICY = Path(__file__).resolve().parents[2] / "examples" / "changegate.yaml"


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
