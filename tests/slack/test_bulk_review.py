"""Approving or rejecting several changes at once from App Home, end to end through fake Slack."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.fakeslack.payloads import text_value
from bot.sandbox.fakeslack.state import ViewRecord
from bot.slack.rendering import ids
from bot.slack.rendering.bulk_views import confirm_modal, select_modal
from bot.slack.rendering.validate import check_view
from tests.slack.harness import REQUESTER, SENIOR1, SENIOR2, Harness, blocks_text
from tests.support.cards import sample_changes
from tests.support.reviews import reject_seen
from workflow.model import Content, Metadata, Risk, Verdict


def ticked(view: ViewRecord, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The state Slack reports for the view's checkboxes, every box ticked but `leave_out`."""
    values: dict[str, Any] = {}
    for block in view.view["blocks"]:
        element = block.get("element") or {}
        if element.get("type") == "checkboxes":
            picked = [o for o in element["options"]
                      if ids.parse_button_value(o["value"])[0] not in leave_out]
            values[block["block_id"]] = {ids.VALUE: {"type": "checkboxes",
                                                     "selected_options": picked}}
    return values


async def start(bot: Harness, user: str, verdict: str, shows: str) -> ViewRecord:
    """Open the Home tab, press Approve (or Reject) several…, and tick every change."""
    await bot.driver.open_home(user)
    home = await bot.fake.wait_for(
        lambda: (h := bot.fake.home(user)) is not None and shows in blocks_text(h) and h)
    assert home
    await bot.driver.click_in_view(user, home, f"{ids.HOME_BULK}_{verdict}")
    picker = await bot.modal_for(user, "Tick the changes")
    reply = await bot.driver.submit(user, picker, ticked(picker))
    assert reply.status == 200, reply.json
    return picker  # now the confirmation


async def summary_for(bot: Harness, user: str, shows: str) -> str:
    return await bot.fake.wait_for(lambda: next(
        (m.text for m in bot.fake.messages(user) if shows in m.text), ""), within_s=30)


async def test_each_change_is_decided_on_its_own_and_one_summary_names_refusals(
        bot: Harness) -> None:
    first = await bot.seed(title="Move edge-1")
    second = await bot.seed(title="Move edge-2")
    third = await bot.seed(title="Move edge-3")
    await bot.settled()
    confirm = await start(bot, SENIOR1, "approve", "Move edge-3")
    assert "Approve these 3 changes?" in blocks_text(confirm)
    await reject_seen(bot.engine, second.id, SENIOR2, "wrong AS")  # while SENIOR1 confirms

    reply = await bot.driver.submit(SENIOR1, confirm, {
        **ticked(confirm), ids.COMMENT_BLOCK: text_value("batch looks right")})

    assert reply.status == 200
    summary = await summary_for(bot, SENIOR1, "You approved")
    assert summary.startswith(f":white_check_mark: You approved 2 of 3: {first.id}, {third.id}")
    assert f"*{second.id}*: cannot approve: {second.id} is already rejected" in summary
    for change in (first, third):
        cr = await bot.engine.get(change.id)
        assert cr is not None
        assert [(r.person, r.verdict, r.comment) for r in cr.live_responses()] == [
            (SENIOR1, Verdict.APPROVE, "batch looks right")]


async def test_reject_asks_one_reason_for_all_and_leaves_out_what_was_unticked(
        bot: Harness) -> None:
    kept = await bot.seed(title="Move edge-1")
    spared = await bot.seed(title="Move edge-2")
    await bot.settled()
    confirm = await start(bot, SENIOR1, "reject", "Move edge-2")

    blank = await bot.driver.submit(SENIOR1, confirm, {
        **ticked(confirm), ids.COMMENT_BLOCK: text_value("  ")})
    assert blank.json == {"response_action": "errors",
                          "errors": {ids.COMMENT_BLOCK: "Say why: the requesters read it."}}
    await bot.driver.submit(SENIOR1, confirm, {
        **ticked(confirm, frozenset({spared.id})), ids.COMMENT_BLOCK: text_value("freeze")})

    assert await summary_for(bot, SENIOR1, f"You rejected 1 of 1: {kept.id}")
    assert (await bot.engine.get(kept.id)).state.value == "rejected"  # type: ignore[union-attr]
    assert (await bot.engine.get(spared.id)).responses == ()  # type: ignore[union-attr]


async def test_two_hundred_changes_are_acknowledged_within_three_seconds(bot: Harness) -> None:
    content = Content("bgp", "add", "edge-1", Risk.HIGH, "neighbor 192.0.2.1", "no neighbor")
    made = [await bot.engine.propose(REQUESTER, content, Metadata(f"Change {n}"),
                                     dry_run_output=bot.executor.dry_run_output, submit=True)
            for n in range(200)]
    confirm = await start(bot, SENIOR1, "approve", "Awaiting my approval* (200)")
    assert blocks_text(confirm).count("Change ") >= 200

    started = time.monotonic()
    reply = await bot.driver.submit(SENIOR1, confirm, ticked(confirm))
    acknowledged = time.monotonic() - started

    assert reply.status == 200 and acknowledged < 3.0
    assert await summary_for(bot, SENIOR1, "You approved 200 of 200")
    last = await bot.engine.get(made[-1].id)
    assert last is not None and last.live_response_of(SENIOR1) is not None


def test_the_views_stay_valid_with_two_hundred_changes() -> None:
    changes = [sample_changes()["pending_first_approval"]] * 200

    picker = select_modal("approve", changes)
    confirm = confirm_modal("reject", [(f"CHG-{n}:1:", f"*CHG-{n}*") for n in range(1, 201)])

    for view in (picker, confirm):
        check_view(view)
        boxes = [b for b in view["blocks"] if b.get("element", {}).get("type") == "checkboxes"]
        assert [len(b["element"]["options"]) for b in boxes] == [10] * 20
    assert confirm["blocks"][-1]["optional"] is False  # the reason is required to reject
