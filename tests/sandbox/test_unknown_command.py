"""A slash command the app does not have is refused politely, and the operator's log gets one
line for it, not Bolt's suggestion to write a listener."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from bot.sandbox.serve import RunningSandbox
from tests.sandbox.support import CHANNEL, REQUESTER, PageClient


async def test_an_unknown_command_is_logged_in_one_line_without_bolts_suggestion(
        sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as session:
        answer = await PageClient(sandbox, session).act(REQUESTER, kind="slash",
                                                        command="/foo", channel=CHANNEL)

    assert answer == {"ok": False, "error": "/foo is not a command of this app"}
    lines = [r.getMessage() for r in caplog.records if "/foo" in r.getMessage()]
    assert lines == ["refused slash command /foo: not a command of this app"]
    # serve configures no logging: Python's last resort shows warnings and above on the terminal
    assert [r.levelno for r in caplog.records if "/foo" in r.getMessage()] == [logging.WARNING]
    assert logging.lastResort is not None and logging.lastResort.level == logging.WARNING
    assert not any("@app.command" in r.getMessage() for r in caplog.records)
