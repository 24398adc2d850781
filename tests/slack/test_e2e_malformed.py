"""Signed payloads of the app's own kinds with a member of the wrong shape (each found by hand
before it was checked) are refused with 400 and one log line, never a 500 or a traceback, and
change nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.sandbox.fakeslack import payloads
from bot.sandbox.fakeslack.driver import _find_button
from bot.slack.rendering import ids
from tests.slack.harness import (
    CHANNEL,
    REQUESTER,
    SENIOR1,
    Harness,
    proposal_values,
    running_bot,
)

Payload = dict[str, Any]


def without(payload: Payload, *path: str | int) -> Payload:
    """The payload with the member at `path` removed."""
    holder: Any = payload
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return payload


def with_(payload: Payload, value: object, *path: str | int) -> Payload:
    """The payload with the member at `path` set to `value`."""
    holder: Any = payload
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return payload


FOUND: dict[str, Callable[[Payload], Payload]] = {
    "click-user-empty": lambda p: with_(p, {}, "user"),
    "values-list": lambda p: with_(p, [], "view", "state", "values"),
    "values-text": lambda p: with_(p, "values", "view", "state", "values"),
    "block-text": lambda p: with_(p, "a title", "view", "state", "values", "title"),
    "element-text": lambda p: with_(p, "a title", "view", "state", "values", "title", "value"),
    "option-text": lambda p: with_(p, "high", "view", "state", "values", "risk", "value",
                                   "selected_option"),
    "metadata-number": lambda p: with_(p, 7, "view", "private_metadata"),
    "metadata-object": lambda p: with_(p, {"origin": CHANNEL}, "view", "private_metadata"),
    "metadata-not-json": lambda p: with_(p, "{origin", "view", "private_metadata"),
    "time-text": lambda p: with_(p, "tomorrow", "view", "state", "values", "schedule", "value",
                                 "selected_date_time"),
    "home-without-user": lambda p: without(p, "event", "user"),
    "title-text": lambda p: with_(p, "Reject", "view", "title"),
    "click-value-object": lambda p: with_(p, {"change": "CHG-1"}, "actions", 0, "value"),
}


async def base(bot: Harness, name: str) -> tuple[Payload, str]:
    """A real payload of the kind the finding is about, and its content type."""
    w = bot.fake.workspace
    if name.startswith("click"):
        card = await bot.card("CHG-1")
        return payloads.block_actions(
            w, user=SENIOR1, action=_find_button(card.blocks, ids.APPROVE),
            trigger_id=bot.fake.issue_trigger(SENIOR1),
            response_url=bot.fake.issue_response_url(CHANNEL, SENIOR1, card.ts),
            message=card), "form"
    if name.startswith("home"):
        return payloads.event_callback(w, {"type": "app_home_opened", "user": SENIOR1,
                                           "tab": "home"}, event_id="Ev1"), "json"
    if name.startswith("title"):
        card = await bot.card("CHG-1")
        await bot.driver.click(SENIOR1, card, ids.COMMENT)
        modal = await bot.modal_for(SENIOR1, "Comment on CHG-1")
        values = {ids.COMMENT_BLOCK: payloads.text_value("looks fine")}
        return payloads.view_submission(w, user=SENIOR1, view=modal, values=values,
                                        trigger_id=bot.fake.issue_trigger(SENIOR1)), "form"
    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")
    return payloads.view_submission(w, user=REQUESTER, view=form, values=proposal_values(),
                                    trigger_id=bot.fake.issue_trigger(REQUESTER)), "form"


@pytest.mark.parametrize("name", FOUND)
async def test_a_malformed_member_is_400_with_one_log_line_and_changes_nothing(
    bot: Harness, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    await bot.seed()
    await bot.settled()
    payload, kind = await base(bot, name)
    await bot.settled()
    before = (await bot.engine.get("CHG-1"), len(bot.fake.calls))
    caplog.clear()

    body = FOUND[name](payload)
    if kind == "json":
        reply = await bot.driver.post(json.dumps(body), "application/json")
    else:
        reply = await bot.driver.post("payload=" + quote(json.dumps(body)))

    assert reply.status == 400, reply.text
    refused = [r for r in caplog.records if "refused a signed Slack payload" in r.getMessage()]
    assert len(refused) == 1 and "\n" not in refused[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    await bot.settled()
    assert (await bot.engine.get("CHG-1"), len(bot.fake.calls)) == before
    assert await bot.engine.get("CHG-2") is None


async def test_in_socket_mode_the_listeners_refuse_it_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Socket Mode has no HTTP check before Bolt: the listeners' own typed reads refuse."""
    async with running_bot(tmp_path, socket=True) as bot:
        cr = await bot.seed()
        await bot.driver.click(SENIOR1, await bot.card("CHG-1"), ids.REJECT)
        modal = await bot.modal_for(SENIOR1, "Reject CHG-1")
        await bot.settled()
        calls = len(bot.fake.calls)
        caplog.clear()

        await bot.driver.event({"type": "app_home_opened", "tab": "home"})
        typed_as_text: dict[str, Any] = {ids.REASON_BLOCK: "not in the freeze"}
        await bot.driver.submit(SENIOR1, modal, typed_as_text)
        await bot.fake.wait_for(lambda: len([
            r for r in caplog.records if "refused a signed Slack payload" in r.getMessage()]) == 2)

        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        await bot.settled()
        assert [c.method for c in bot.fake.calls[calls:]] == []
        assert await bot.engine.get("CHG-1") == cr
