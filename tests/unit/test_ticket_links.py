"""A change's ticket as a link where the policy gives `ticket_url`: on the card, escaped, and in
the audit exports (JSON lines and CSV, through `changegate audit export`)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.slack.rendering.card import render_card
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.validate import check_message
from storage.audit_chain import AuditRow
from storage.audit_export import CSV_FIELDS, export
from storage.database import open_database
from storage.sql.audit_trail import AuditTrail
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.databases import sqlite_url
from tests.support.policies import SCENARIO_POLICY
from tests.support.world import World
from workflow.model import ChangeRequest

TEMPLATE = "https://jira.example/browse/{ticket}"


def ticket_field(cr: ChangeRequest, template: str | None) -> str:
    message = asdict(render_card(cr, CardContext(now=cr.created_at, ticket_url=template)))
    check_message(message)
    [text] = [f["text"] for block in message["blocks"] for f in block.get("fields", [])
              if f["text"].startswith("*Ticket*")]
    return str(text)


async def test_the_card_links_the_ticket_and_escapes_what_it_shows() -> None:
    cr = await World().propose("high")
    assert ticket_field(cr, TEMPLATE) == (
        "*Ticket*\n<https://jira.example/browse/CHG-3192|CHG-3192>")
    assert ticket_field(cr, None) == "*Ticket*\n`CHG-3192`"

    hostile = replace(cr, metadata=replace(cr.metadata, ticket="<!channel>|x&y"))
    assert ticket_field(hostile, TEMPLATE) == (
        "*Ticket*\n<https://jira.example/browse/%3C%21channel%3E%7Cx%26y|&lt;!channel&gt;|x&amp;y>")
    none = replace(cr, metadata=replace(cr.metadata, ticket=""))
    assert ticket_field(none, TEMPLATE) == "*Ticket*\n_none_"


async def test_a_link_too_long_for_the_field_shows_the_ticket_alone() -> None:
    cr = await World().propose("high")
    long = replace(cr, metadata=replace(cr.metadata, ticket="é" * 300))
    assert ticket_field(long, TEMPLATE) == f"*Ticket*\n`{'é' * 300}`"


async def test_exports_carry_the_ticket_and_its_link_from_the_log(tmp_path: Path) -> None:
    db = await open_database(sqlite_url(tmp_path))
    try:
        world = World(uow=SqlUnitOfWorkFactory(db))
        cr = await world.propose("medium")
        await world.engine.edit(cr.id, "req", metadata=replace(cr.metadata, ticket="OPS-7"))
        rows = [row async for row in AuditTrail(db).rows()]
    finally:
        await db.dispose()

    async def streamed() -> AsyncIterator[AuditRow]:
        for row in rows:
            yield row

    out = io.StringIO()
    assert await export(streamed(), out, "csv", TEMPLATE) == len(rows)
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(table[0]) == CSV_FIELDS
    tickets = [(r["kind"], r["ticket"], r["ticket_url"]) for r in table]
    assert tickets[0] == ("proposed", "CHG-3192", "https://jira.example/browse/CHG-3192")
    assert ("metadata_edited", "OPS-7", "https://jira.example/browse/OPS-7") in tickets
    assert tickets[-1][1:] == ("OPS-7", "https://jira.example/browse/OPS-7")

    out = io.StringIO()
    await export(streamed(), out, "jsonl")  # no template: the ticket, no link
    first = json.loads(out.getvalue().splitlines()[0])
    assert (first["ticket"], first["ticket_url"]) == ("CHG-3192", None)
    assert first["record"]["data"]["ticket"] == "CHG-3192"  # in the hashed record itself


def test_audit_export_takes_the_template_from_the_policy_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = sqlite_url(tmp_path)
    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", url)
    policy = tmp_path / "changegate.yaml"
    policy.write_text(SCENARIO_POLICY + f"ticket_url: {TEMPLATE}\n", encoding="utf-8")

    async def history() -> None:
        db = await open_database(url)
        try:
            await World(uow=SqlUnitOfWorkFactory(db)).propose("low")
        finally:
            await db.dispose()

    asyncio.run(history())
    assert main(["audit", "export", "--format", "csv", "--policy", str(policy)]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["ticket_url"] for r in table} == {"https://jira.example/browse/CHG-3192"}

    policy.write_text("workflows: nope\n", encoding="utf-8")  # broken: exported without links
    assert main(["audit", "export", "--format", "csv", "--policy", str(policy)]) == 0
    captured = capsys.readouterr()
    assert {r["ticket_url"] for r in csv.DictReader(io.StringIO(captured.out))} == {""}
    assert "warning: no ticket links" in captured.err
