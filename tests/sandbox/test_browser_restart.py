"""`make run` stopped and started again mid-walk, clicked through in Chromium: the channel still
shows the card proposed before, the next proposal is accepted as a new change, approving the
earlier card updates it, and the Home tab's "Open card" lands on it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.sandbox.browser import SandboxTab, chromium_page, expect
from tests.sandbox.support import REQUESTER, SENIOR1, SENIOR2, serve_sandbox


async def test_a_restart_mid_walk_keeps_the_card_and_takes_the_next_proposal(tmp_path: Path
                                                                              ) -> None:
    async with chromium_page(tmp_path / "profile") as page:
        tab = SandboxTab(page, tmp_path / "screenshots")
        async with serve_sandbox(tmp_path) as first:
            await tab.open(first.page_url, REQUESTER)
            await tab.propose("Peer with AS65001 on edge-1", "high")
            await expect(tab.card("CHG-1")).to_contain_text("0 of 2")
            port = urlsplit(first.url).port
            assert port is not None
            await page.goto("about:blank")  # the tab is left while the sandbox restarts

        async with serve_sandbox(tmp_path, port=port) as second:  # on the same port and files
            await tab.open(second.page_url, REQUESTER)
            before = tab.card("CHG-1")
            await expect(before).to_contain_text("Pending review")  # still in #changes
            await expect(before).to_contain_text("0 of 2")
            await tab.shot("1-after-restart")

            await tab.propose("Peer with AS65002 on edge-2", "high", target="edge-2")
            await expect(tab.card("CHG-2")).to_contain_text("Pending review")  # not refused

            await tab.act_as(SENIOR1)
            await tab.approve(before, "CHG-1")
            await expect(before).to_contain_text("1 of 2: @Sam Senior")  # updated in place
            await expect(tab.page.locator("#conversation .msg:not(.ephemeral) .bk-header",
                                          has_text="CHG-1 · ")).to_have_count(1)
            await tab.shot("2-approved-after-restart")

            await tab.act_as(SENIOR2)
            await tab.go("home")
            row = tab.page.locator(".surface.home .bk-section", has_text="CHG-1")
            await row.get_by_role("button", name="Open card").click()
            await expect(tab.page.locator("#conversation")).not_to_contain_text("No messages yet")
            await expect(before).to_have_class(re.compile(r"\bhighlight\b"))
            await expect(before).to_be_in_viewport()
            await tab.shot("3-open-card-from-home")
            await page.goto("about:blank")  # before the sandbox stops under its polls
