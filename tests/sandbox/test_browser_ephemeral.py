"""The sandbox brings an ephemeral reply the person just caused into view, as Slack does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.serve import RunningSandbox
from tests.sandbox.browser import SandboxTab, chromium_page, expect
from tests.sandbox.support import REQUESTER


@pytest.fixture
async def tab(sandbox: RunningSandbox, tmp_path: Path) -> AsyncIterator[SandboxTab]:
    async with chromium_page(tmp_path / "profile") as page:
        tab = SandboxTab(page, tmp_path / "screenshots")
        await tab.open(sandbox.page_url, REQUESTER)
        yield tab


async def test_a_refusal_below_the_fold_is_scrolled_into_view(tab: SandboxTab) -> None:
    await tab.propose("Peer with AS65001 on edge-1", "high")
    await tab.propose("Peer with AS65002 on edge-2", "high", target="edge-2")
    first = tab.card("CHG-1")
    await expect(tab.card("CHG-2")).to_contain_text("Pending review")
    await tab.page.evaluate("document.querySelector('#conversation').scrollTop = 0")
    await expect(tab.card("CHG-2")).not_to_be_in_viewport()  # the newest posts are further down

    await tab.press(first, "Approve")  # refused at once, below the second card

    refusal = tab.ephemeral()
    await expect(refusal).to_contain_text("another approver must review it (four-eyes rule)")
    await expect(refusal).to_be_in_viewport()
    await expect(refusal).to_have_class("msg ephemeral highlight")
