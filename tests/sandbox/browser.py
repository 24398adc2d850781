"""Driving the sandbox page in Debian's Chromium with Playwright, as a person would."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 860}
WAIT_MS = 20_000
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

try:
    from playwright.async_api import Locator, Page, async_playwright, expect
except ImportError:
    pytest.skip("playwright is not installed: `pip install -e '.[dev]'` installs it",
                allow_module_level=True)
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)",
                allow_module_level=True)
expect.set_options(timeout=WAIT_MS)


@asynccontextmanager
async def chromium_page(profile: Path) -> AsyncIterator[Page]:
    """A page of a fresh headless Chromium profile; console errors fail the test."""
    errors: list[str] = []
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, viewport=VIEWPORT)
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            yield page
        finally:
            await context.close()
    assert errors == [], f"the page logged errors: {errors}"


class SandboxTab:
    """The sandbox page, with the steps the quickstart tells people to take."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page = page
        self.shots = shots
        shots.mkdir(parents=True, exist_ok=True)

    async def open(self, url: str, user: str) -> None:
        await self.page.goto(f"{url}?as={user}")
        await expect(self.page.locator("#me-zone")).to_contain_text(user)

    async def act_as(self, user: str) -> None:
        await self.page.select_option("#as", user)
        await expect(self.page.locator("#me-zone")).to_contain_text(user)

    async def go(self, where: str) -> None:
        """A channel by name, or "home" / "messages" of the app."""
        if where in ("home", "messages"):
            await self.page.click("#nav-home" if where == "home" else "#nav-dm")
        else:
            await self.page.locator("#channels a", has_text=f"# {where}").click()

    async def command(self, text: str) -> None:
        await self.page.fill("#command", text)
        await self.page.press("#command", "Enter")

    async def propose(self, title: str, risk: str, target: str = "edge-1") -> None:
        """Fill in /change new and submit it; wait until the form says it is submitted."""
        await self.command("/change new")
        await expect(self.page.locator("#modal-title")).to_have_text("Propose a change")
        for field, value in (("title", title), ("family", "bgp"), ("action", "add"),
                             ("target", target),
                             ("payload", "neighbor 192.0.2.1 remote-as 65001\n"
                                         "neighbor 192.0.2.1 description AS65001"),
                             ("rollback_plan", "no neighbor 192.0.2.1"), ("ticket", "CHG-3192")):
            await self.page.fill(f"#in-{field}-value", value)
        await self.page.select_option("#in-risk-value", risk)
        await self.page.click("#modal-submit")
        await expect(self.page.locator("#modal-title")).to_have_text("Change submitted")
        await expect(self.page.locator("#modal-body")).to_contain_text("Its dry-run ran")
        await self.page.click("#modal-close")
        await expect(self.page.locator("#modal-layer")).to_be_hidden()

    def card(self, change_id: str) -> Locator:
        """The card of a change in the conversation shown (not an ephemeral copy)."""
        header = self.page.locator(".bk-header", has_text=f"{change_id} · ")
        return self.page.locator("#conversation .msg:not(.ephemeral)").filter(has=header)

    async def press(self, where: Locator, button: str, confirm: str | None = None) -> None:
        """Press a button; when a confirmation is expected, check its title and confirm."""
        await where.get_by_role("button", name=button, exact=True).click()
        if confirm is not None:
            await expect(self.page.locator("#confirm-title")).to_have_text(confirm)
            await self.page.click("#confirm-yes")
            await expect(self.page.locator("#confirm-layer")).to_be_hidden()

    async def approve(self, where: Locator, change_id: str, comment: str = "") -> None:
        """Press Approve, type the optional comment into its form, submit and close it."""
        await self.press(where, "Approve")
        await expect(self.page.locator("#modal-title")).to_have_text(f"Approve {change_id}")
        if comment:
            await self.page.fill("#in-text-value", comment)
        await self.page.click("#modal-submit")
        await expect(self.page.locator("#modal-body")).to_contain_text("You approved")
        await self.page.click("#modal-close")

    def ephemeral(self) -> Locator:
        return self.page.locator("#conversation .msg.ephemeral")

    async def shot(self, name: str, *, docs: bool = False) -> Path:
        """A screenshot kept with the test's files; also into docs/ with UPDATE_SCREENSHOTS=1."""
        path = self.shots / f"{name}.png"
        await self.page.screenshot(path=str(path))
        if docs and os.environ.get("UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / path.name)
        return path
