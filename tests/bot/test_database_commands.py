"""`changegate db upgrade`, `audit verify` and `audit export` on a SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.database import open_database
from storage.migrate import current_revision, head_revision
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import sqlite_url, tamper_audit
from tests.support.reviews import approve_seen
from tests.support.world import World


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database = sqlite_url(tmp_path)
    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", database)
    monkeypatch.chdir(tmp_path)  # no policy file here: these commands do not need one
    return database


def record_history(url: str, tamper_seq: int | None = None) -> list[str]:
    """Two changes through the real engine; returns their ids."""

    async def run() -> list[str]:
        db = await open_database(url)
        try:
            world = World(uow=SqlUnitOfWorkFactory(db))
            first = await world.propose("medium")
            await approve_seen(world.engine, first.id, "e1")
            world.clock.advance(hours=1)
            second = await world.propose("low")
            if tamper_seq is not None:
                await tamper_audit(db, tamper_seq, "mallory")
            return [first.id, second.id]
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_db_upgrade_creates_and_migrates(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert asyncio.run(current_revision(url)) == head_revision()
    assert capsys.readouterr().out.strip().endswith(f"is at revision {head_revision()}")
    assert main(["db", "upgrade"]) == 0


def test_verify_reports_an_intact_chain(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    record_history(url)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("audit chain ok: ")
    assert " events, head " in out


def test_verify_names_the_first_tampered_row(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    record_history(url, tamper_seq=3)
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "changegate: audit chain broken at seq 3: content does not match its hash"
    )


def test_verify_never_creates_a_database(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 1
    assert "does not exist: run `changegate db upgrade` first" in capsys.readouterr().err
    assert not (tmp_path / "changegate.db").exists()


def test_export_jsonl_of_one_change(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, second = record_history(url)
    assert main(["audit", "export", "--change", second]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(line["record"]["change_id"] == second for line in lines)


def test_export_csv_since_a_time(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = record_history(url)
    assert main(["audit", "export", "--format", "csv", "--since", "2026-11-02T09:30:00"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["change_id"] for r in rows} == {second}
    assert main(["audit", "export", "--format", "csv", "--since", "2026-11-02T09:00:00Z"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["change_id"] for r in rows} == {first, second}


def test_export_refuses_a_malformed_time(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["audit", "export", "--since", "yesterday"])
    assert caught.value.code == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                   "1999-12-31T23:59:59Z", "3000-01-01T00:00:00"])
def test_export_refuses_a_time_out_of_range(url: str, capsys: pytest.CaptureFixture[str],
                                            since: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["audit", "export", "--since", since])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --since: must be in the years 2000 to 2999 (UTC), got '{since}'" in err
    assert "Traceback" not in err
