"""Captured, correctly signed Slack requests replayed within the five-minute signature window are
acknowledged and ignored, on one bot and across replicas on one database; a form submitted
twice (two gestures, one view) makes one change."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bench.databases import fresh_postgres
from bot.sandbox.fakeslack import FakeSlack, payloads
from bot.sandbox.fakeslack.state import Message, ViewRecord
from bot.slack.rendering import ids
from storage.sql.queries import Queries
from tests.slack.harness import (
    CHANNEL,
    REQUESTER,
    SENIOR1,
    Harness,
    blocks_text,
    bot_on,
    proposal_values,
    running_bot,
    workspace,
)
from tests.support.databases import postgres_url
from workflow.model import ChangeRequest


@pytest.fixture
async def sql_bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, storage="sqlite") as harness:
        yield harness


async def captured_approval(bot: Harness, user: str, card: Message) -> str:
    """The form body Slack sends when `user` submits the Approve form opened from the card."""
    await bot.driver.click(user, card, ids.APPROVE)
    form = await bot.modal_for(user, "Approve", lambda v: v.view.get("callback_id")
                               == ids.APPROVE_VIEW)
    bot.fake.close_view(form)
    return captured_submission(bot, user, form, {ids.COMMENT_BLOCK: payloads.text_value("")})


def captured_submission(bot: Harness, user: str, view: ViewRecord,
                        values: dict[str, Any]) -> str:
    submitted = payloads.view_submission(bot.fake.workspace, user=user, view=view, values=values,
                                         trigger_id=bot.fake.issue_trigger(user))
    return "payload=" + quote(json.dumps(submitted))


async def change(bot: Harness, change_id: str) -> ChangeRequest:
    cr = await bot.engine.get(change_id)
    assert cr is not None
    return cr


async def audited(bot: Harness, change_id: str) -> list[str]:
    """The kinds of the change's audit events, oldest first (SQL storage)."""
    queries = bot.runtime.storage.deadlines
    assert isinstance(queries, Queries)
    return [str(row.record["kind"]) for row in await queries.history(change_id)]


async def test_a_replayed_approve_does_not_bring_back_a_withdrawn_approval(
    sql_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = sql_bot
    cr = await bot.seed()
    card = await bot.card(cr.id)
    approve, signed_at = await captured_approval(bot, SENIOR1, card), int(time.time())
    assert (await bot.driver.post(approve, timestamp=signed_at)).status == 200
    card = await bot.card(cr.id, shows="1 of 2: <@USEN1>")
    await bot.withdraw_approval(SENIOR1, card)
    await bot.card(cr.id, shows="Senior review · 0 of 2")
    await bot.settled()
    before, events = await change(bot, cr.id), await audited(bot, cr.id)
    posts = [len(bot.fake.messages(CHANNEL)), len(bot.fake.thread(card.channel, card.ts))]

    with caplog.at_level(logging.WARNING, logger="bot.slack.inbound.replays"):
        replays = [await bot.driver.post(approve, timestamp=signed_at) for _ in range(3)]

    assert {r.status for r in replays} == {200}
    await bot.settled()
    after = await change(bot, cr.id)
    assert after == before and after.live_responses() == ()
    assert await audited(bot, cr.id) == events
    assert [len(bot.fake.messages(CHANNEL)),
            len(bot.fake.thread(card.channel, card.ts))] == posts
    assert sum("ignored a replayed Slack view_submission" in r.message
               for r in caplog.records) == 3


async def test_a_replayed_form_submission_adds_nothing(sql_bot: Harness) -> None:
    bot = sql_bot
    cr = await bot.seed()
    card = await bot.card(cr.id)
    await bot.driver.click(SENIOR1, card, ids.COMMENT)
    form = await bot.modal_for(SENIOR1, f"Comment on {cr.id}")
    comment = captured_submission(bot, SENIOR1, form, {ids.COMMENT_BLOCK: {"value": {
        "type": "plain_text_input", "value": "is the peer's ASN confirmed?"}}})
    signed_at = int(time.time())
    assert (await bot.driver.post(comment, timestamp=signed_at)).status == 200
    await bot.thread_has(card, "is the peer's ASN confirmed?")
    await bot.settled()
    before = await change(bot, cr.id)

    replay = await bot.driver.post(comment, timestamp=signed_at)

    assert replay.status == 200
    await bot.settled()
    assert await change(bot, cr.id) == before
    assert len(before.comments) == 1


async def test_one_form_submitted_twice_at_once_makes_one_change_and_one_dry_run(
    bot: Harness
) -> None:
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")
    shown = copy.deepcopy(form)  # both submissions are of the form as it was shown

    answers = await asyncio.gather(*(
        bot.driver.post(captured_submission(bot, REQUESTER, shown, proposal_values()))
        for _ in range(2)))

    assert [a.status for a in answers] == [200, 200]
    card = await bot.card("CHG-1", shows="sha256:")
    await bot.settled()
    assert await bot.engine.get("CHG-2") is None
    assert len(bot.executor.dry_runs) == 1
    assert "CHG-1" in blocks_text(await bot.modal_for(REQUESTER, "Change submitted"))
    assert card.text.startswith("CHG-1 ")


@pytest.mark.postgres
async def test_one_click_sent_to_two_replicas_is_acted_on_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for replica in ("a", "b"):
        (tmp_path / replica).mkdir()
    async with fresh_postgres(postgres_url(), "cg_slack_replays") as url, \
            FakeSlack(workspace()) as fake, \
            bot_on(fake, tmp_path / "a", memory=False, database_url=url) as first, \
            bot_on(fake, tmp_path / "b", memory=False, database_url=url) as second:
        cr = await first.seed()
        card = await first.card(cr.id)
        approve, signed_at = await captured_approval(first, SENIOR1, card), int(time.time())
        replicas = (first, second)

        with caplog.at_level(logging.WARNING, logger="bot.slack.inbound.replays"):
            answers = list(await asyncio.gather(*(
                r.driver.post(approve, timestamp=signed_at) for r in replicas)))
            card = await first.card(cr.id, shows="1 of 2: <@USEN1>")
            await second.withdraw_approval(SENIOR1, card)
            await first.card(cr.id, shows="Senior review · 0 of 2")
            answers += await asyncio.gather(*(
                r.driver.post(approve, timestamp=signed_at) for r in replicas))

        assert [a.status for a in answers] == [200] * 4
        for replica in replicas:
            await replica.settled()
        final = await change(second, cr.id)
        assert final.live_responses() == ()
        assert (await audited(second, cr.id)).count("response") == 1
        assert sum("ignored a replayed Slack view_submission" in r.message
                   for r in caplog.records) == 3


def stored_gestures(bot: Harness) -> int:
    """Rows of slack_interactions, read straight from the bot's SQLite file."""
    path = bot.runtime.settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT count(*) FROM slack_interactions").fetchone()[0])


async def test_a_click_that_opens_a_form_writes_nothing_and_its_form_writes_with_its_decision(
        sql_bot: Harness) -> None:
    bot = sql_bot
    cr = await bot.seed()
    card = await bot.card(cr.id)
    await bot.settled()
    before = stored_gestures(bot)

    form = await bot.driver.open_form(SENIOR1, card, ids.APPROVE, ids.APPROVE_VIEW)
    assert form is not None
    opened = stored_gestures(bot)
    reply = await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: payloads.text_value("")})

    assert opened == before  # a replayed open is harmless: nothing is written for it
    assert "You approved revision 1" in json.dumps(reply.json)  # acknowledged once committed
    assert stored_gestures(bot) == before + 1  # the form's key, in the decision's commit
    assert [r.person for r in (await change(bot, cr.id)).live_responses()] == [SENIOR1]
