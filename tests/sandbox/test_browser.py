"""The README quickstart, a rejection (then an edit and a resubmission) and a withdrawal,
clicked through the page in Chromium.

Screenshots of each step are kept under the test's tmp_path; UPDATE_SCREENSHOTS=1 also refreshes
the ones in docs/screenshots.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.serve import RunningSandbox
from tests.sandbox.browser import SandboxTab, chromium_page, expect
from tests.sandbox.support import REQUESTER, SENIOR1, SENIOR2, SENIOR3


@pytest.fixture
async def tab(sandbox: RunningSandbox, tmp_path: Path) -> AsyncIterator[SandboxTab]:
    async with chromium_page(tmp_path / "profile") as page:
        tab = SandboxTab(page, tmp_path / "screenshots")
        await tab.open(sandbox.page_url, REQUESTER)
        yield tab


async def test_quickstart_propose_refused_self_approval_two_seniors_applied(
        tab: SandboxTab) -> None:
    await tab.propose("Peer with AS65001 on edge-1", "high")
    card = tab.card("CHG-1")
    await expect(card).to_contain_text("Pending review")
    await expect(card).to_contain_text("+neighbor 192.0.2.1 remote-as 65001")  # the dry-run
    await expect(card).to_contain_text("Stage 1 of 1 · Senior review · 0 of 2")
    await tab.shot("proposed")

    await tab.press(card, "Approve")  # refused at once: no form opens
    await expect(tab.ephemeral()).to_contain_text(
        "you requested CHG-1; another approver must review it (four-eyes rule)")
    await expect(tab.ephemeral()).to_contain_text("Only visible to you")
    await expect(card).to_contain_text("0 of 2")
    await tab.shot("requester-refused", docs=True)

    await tab.act_as(SENIOR1)
    await expect(tab.ephemeral()).to_have_count(0)  # Rita's refusal was for her eyes only
    await tab.approve(card, "CHG-1", "Checked the peer's AS in PeeringDB")
    await expect(card).to_contain_text("1 of 2: @Sam Senior")
    await tab.shot("card-mid-approval", docs=True)

    await tab.act_as(SENIOR2)
    await tab.approve(card, "CHG-1")
    await expect(card).to_contain_text("Applied")
    await expect(card).to_contain_text("apply started by ChangeGate")
    await expect(card.get_by_role("button")).to_have_text(  # settled: only these are left
        ["Record review", "View change"])
    await card.locator(".replies").click()
    thread = tab.page.locator("#thread-messages")
    await expect(thread).to_contain_text("Stage 1 approved by @Sam Senior, @Sue Senior")
    await expect(thread).to_contain_text("Checked the peer's AS in PeeringDB")
    await expect(thread.locator(".msg").last).to_contain_text("Applied")
    await tab.shot("applied", docs=True)

    await tab.act_as(REQUESTER)
    await tab.go("messages")
    await expect(tab.card("CHG-1")).to_contain_text("Applied")  # Rita's own copy
    await tab.go("home")
    await expect(tab.page.locator(".surface.home")).to_contain_text("Recently decided (1)")


async def test_a_rejection_needs_a_reason_and_tells_the_requester(tab: SandboxTab) -> None:
    await tab.propose("Raise MTU on core-2", "high", target="core-2")
    card = tab.card("CHG-1")
    await expect(card).to_contain_text("Pending review")

    await tab.act_as(SENIOR3)
    await tab.press(card, "Reject")
    await expect(tab.page.locator("#modal-title")).to_have_text("Reject CHG-1")
    await tab.page.click("#modal-submit")
    reason = tab.page.locator('.bk-input[data-block-id="reason"] .bk-error')
    await expect(reason).to_have_text("Please complete this required field.")
    await tab.shot("1-reason-required")
    await tab.page.fill("#in-reason-value", "core-2 is in a change freeze until Monday")
    await tab.page.click("#modal-submit")
    await expect(tab.page.locator("#modal-body")).to_contain_text(
        "You rejected CHG-1; the requester is told why.")
    await tab.page.click("#modal-close")

    await expect(card).to_contain_text("Rejected")
    await expect(card).to_contain_text("core-2 is in a change freeze until Monday")
    await expect(card.get_by_role("button")).to_have_text(["Edit", "Copy as new", "View change"])
    await tab.shot("2-rejected")

    await tab.act_as(REQUESTER)
    await tab.go("messages")
    dm = tab.page.locator("#conversation")
    await expect(dm).to_contain_text("@Sid Senior rejected it:")
    await expect(dm).to_contain_text("core-2 is in a change freeze until Monday")

    copy = tab.card("CHG-1")  # revised from the requester's copy, then sent back for review
    await tab.press(copy, "Edit")
    await expect(tab.page.locator("#modal-title")).to_have_text("Edit CHG-1")
    await expect(tab.page.locator("#in-target-value")).to_have_value("core-2")
    await tab.page.fill("#in-target-value", "core-3")
    await tab.shot("edit-form", docs=True)
    await tab.page.click("#modal-submit")
    await expect(tab.page.locator("#modal-body")).to_contain_text("is now revision 2, a draft")
    await tab.page.click("#modal-close")
    await expect(copy).to_contain_text("2, edited by")
    await tab.press(copy, "Submit")
    await expect(copy).to_contain_text("Pending review")
    await expect(copy).to_contain_text("core-3")

    await tab.act_as(SENIOR1)  # the reviewer sees what changed and why it was rejected before
    await tab.go("changes")
    await tab.press(card, "View change")
    await expect(tab.page.locator("#modal-title")).to_have_text("Change CHG-1")
    body = tab.page.locator("#modal-body")
    await expect(body).to_contain_text("Changes from revision 1 to 2")
    await expect(body).to_contain_text("+target: core-3")
    await expect(body).to_contain_text("-target: core-2")
    await expect(body).to_contain_text("r1 · @Sid Senior rejected")
    await expect(body).to_contain_text("core-2 is in a change freeze until Monday")
    await tab.shot("view-change", docs=True)
    await tab.page.click("#modal-close")

    await tab.approve(card, "CHG-1", "core-3 is outside the freeze")
    await tab.act_as(SENIOR2)
    await tab.approve(card, "CHG-1")
    await expect(card).to_contain_text("Applied")
    await card.locator(".replies").click()
    thread = tab.page.locator("#thread-messages")
    await expect(thread).to_contain_text("core-3 is outside the freeze")


async def test_the_requester_withdraws_a_critical_change_from_their_copy(tab: SandboxTab
                                                                         ) -> None:
    await tab.propose("Reload core-1", "critical", target="core-1")
    await tab.go("cab")  # critical cards go to the CAB channel
    await expect(tab.card("CHG-1")).to_contain_text("Stage 1 of 2 · Senior review")

    await tab.go("messages")
    mine = tab.card("CHG-1")
    await tab.press(mine, "Withdraw request", confirm="Withdraw CHG-1?")
    await expect(mine).to_contain_text("Withdrawn")
    await tab.shot("1-withdrawn")

    await tab.act_as(SENIOR1)
    await tab.go("cab")
    await expect(tab.card("CHG-1")).to_contain_text("Withdrawn")
    await expect(tab.card("CHG-1").get_by_role("button", name="Approve")).to_have_count(0)
    await tab.shot("2-channel-copy")
