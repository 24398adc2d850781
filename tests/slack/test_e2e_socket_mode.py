"""The same bot over Socket Mode: envelopes through the fake's WebSocket, acks back, same effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.slack.harness import (
    REQUESTER,
    SENIOR1,
    Harness,
    blocks_text,
    proposal_values,
    running_bot,
)


@pytest.fixture
async def socket_bot(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, socket=True) as harness:
        await harness.fake.wait_for(lambda: harness.fake.socket.connections)
        yield harness


async def test_propose_and_approve_over_socket_mode(socket_bot: Harness) -> None:
    bot = socket_bot
    assert bot.runtime.slack is not None and bot.runtime.slack.http_handler is None

    await bot.driver.slash(REQUESTER, "new")
    form = await bot.modal_for(REQUESTER, "Propose a change")
    reply = await bot.driver.submit(REQUESTER, form, proposal_values())
    card = await bot.card("CHG-1", shows="sha256:")
    await bot.approve(SENIOR1, card)

    assert reply.json["response_action"] == "update"
    await bot.card("CHG-1", shows="1 of 2: <@USEN1>")
    assert bot.fake.calls_to("apps.connections.open")
    assert len(bot.fake.socket.acks) == 4  # command, proposal, Approve, its form


async def test_home_event_over_socket_mode(socket_bot: Harness) -> None:
    await socket_bot.driver.event({"type": "app_home_opened", "user": SENIOR1, "tab": "home"})

    home = await socket_bot.fake.wait_for(lambda: socket_bot.fake.home(SENIOR1))
    assert "Awaiting my approval" in blocks_text(home)


async def test_socket_mode_refuses_another_workspace(socket_bot: Harness) -> None:
    socket_bot.driver.ack_within_s = 0.5

    reply = await socket_bot.driver.slash(REQUESTER, "new", team_id="T0OTHERTEAM")

    assert reply.status == 408  # refused: never acknowledged
    await socket_bot.settled()
    assert socket_bot.fake.calls_to("views.open") == []
