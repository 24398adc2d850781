"""Two seniors approve from App Home's rows; the change fails on its target (the demo executor
fails a target ending in -fail); its requester copies it as new and submits the copy: clicked
through the sandbox page in Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.serve import RunningSandbox
from tests.sandbox.browser import SandboxTab, chromium_page, expect
from tests.sandbox.support import REQUESTER, SENIOR1, SENIOR2


@pytest.fixture
async def tab(sandbox: RunningSandbox, tmp_path: Path) -> AsyncIterator[SandboxTab]:
    async with chromium_page(tmp_path / "profile") as page:
        tab = SandboxTab(page, tmp_path / "screenshots")
        await tab.open(sandbox.page_url, REQUESTER)
        yield tab


async def approve_from_home(tab: SandboxTab, change_id: str) -> None:
    """Open App Home, press the row's Approve, submit its form."""
    await tab.go("home")
    home = tab.page.locator(".surface.home")
    await expect(home).to_contain_text("Awaiting my approval (1)")
    await expect(home).to_contain_text(change_id)
    await tab.approve(home, change_id)


async def test_approved_from_app_home_rows_then_a_failed_change_is_copied_as_new(
        tab: SandboxTab) -> None:
    await tab.propose("Peer with AS65001 on edge-1-fail", "high", target="edge-1-fail")

    await tab.act_as(SENIOR1)
    await approve_from_home(tab, "CHG-1")
    home = tab.page.locator(".surface.home")
    await expect(home).to_contain_text("Awaiting my approval (0)")
    await expect(home).to_contain_text("Approved by me, still open (1)")
    await tab.shot("1-approved-from-home")
    await tab.act_as(SENIOR2)
    await approve_from_home(tab, "CHG-1")  # the second approval: it applies by itself

    await tab.act_as(REQUESTER)
    await tab.go("changes")
    card = tab.card("CHG-1")
    await expect(card).to_contain_text("Failed")
    await expect(card).to_contain_text("configuration locked by another session")  # its output
    await tab.press(card, "Copy as new")
    copied = tab.ephemeral()
    await expect(copied).to_contain_text("You copied CHG-1 as CHG-2")
    await expect(copied).to_contain_text("Its dry-run ran")
    await tab.shot("2-copied")
    await tab.press(copied, "Submit")
    await expect(tab.card("CHG-2")).to_contain_text("Pending review")
    await expect(tab.card("CHG-2")).to_contain_text("edge-1-fail")
    await expect(card).to_contain_text("Failed")  # the source stays as it was
