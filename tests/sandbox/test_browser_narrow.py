"""The sandbox page at 420 px wide, as on a phone: the sidebar folds into a bar whose button
opens the channel list, nothing scrolls sideways, and the proposal form fits the screen."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.serve import RunningSandbox
from tests.sandbox.browser import chromium_page, expect
from tests.sandbox.support import REQUESTER

WIDTH = 420


async def test_the_page_is_usable_420_px_wide(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with chromium_page(tmp_path / "profile") as page:
        await page.set_viewport_size({"width": WIDTH, "height": 860})
        await page.goto(f"{sandbox.page_url}?as={REQUESTER}")
        await expect(page.locator("#me-zone")).to_contain_text(REQUESTER)

        channels, toggle = page.locator("#channels"), page.locator("#menu-toggle")
        await expect(channels).to_be_hidden()
        await expect(page.locator("#as")).to_be_visible()  # who you are stays at hand
        conversation = await page.locator("#conversation").bounding_box()
        assert conversation is not None and conversation["width"] >= WIDTH - 20
        assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH

        await toggle.click()
        await expect(channels).to_be_visible()
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        await channels.get_by_text("# cab").click()
        await expect(channels).to_be_hidden()  # picking a channel folds the list again
        await expect(page.locator("#conversation-title")).to_contain_text("cab")

        await page.locator("#command").fill("/change new")
        await page.locator("#command").press("Enter")
        modal = page.locator("#modal")
        await expect(modal).to_contain_text("Propose a change")
        box = await modal.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
        assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
