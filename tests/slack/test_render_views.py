"""Modals and App Home are valid views within 100 blocks, with snapshots of the main ones."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.slack.rendering import ids
from bot.slack.rendering.change_modal import NEXT as CHANGE_NEXT
from bot.slack.rendering.change_modal import PREVIOUS as CHANGE_PREVIOUS
from bot.slack.rendering.change_modal import change_modal, history
from bot.slack.rendering.dryrun_modal import NEXT, PREVIOUS, dry_run_modal, page_count
from bot.slack.rendering.home import (
    APPROVED,
    AWAITING,
    DECIDED,
    MINE,
    NEEDS,
    HomeData,
    home_view,
)
from bot.slack.rendering.modals import (
    ProposalForm,
    approve_modal,
    comment_modal,
    notice_modal,
    proposal_modal,
    reject_modal,
    withdraw_modal,
)
from bot.slack.rendering.mrkdwn import code_text
from bot.slack.rendering.validate import check_view
from tests.slack.snapshots import assert_snapshot
from tests.support.builders import approved_by
from tests.support.cards import LATER, NASTY_OUTPUT, sample_changes
from workflow.commands import Edit, WithdrawApproval
from workflow.decide import decide
from workflow.model import ChangeRequest
from workflow.seen import Seen

CHANGES = sample_changes()


def test_proposal_modal_is_valid_and_reshows_what_was_typed() -> None:
    empty = proposal_modal(origin="C1")
    form = ProposalForm("Add BGP session", "why", "bgp", "add", "edge-1", "high", "neighbor x",
                        "no neighbor x", "CHG-3192", 1_900_000_000)
    again = proposal_modal(form, origin="C1", problem="no approval workflow matches risk=high")

    check_view(empty)
    check_view(again)
    assert_snapshot("modal_proposal", empty)
    assert "no approval workflow matches" in str(again["blocks"][0])
    assert again["blocks"][6]["element"]["initial_option"]["value"] == "high"


@pytest.mark.parametrize("name", ["pending_first_approval", "long_texts"])
def test_reject_and_comment_modals_are_valid(name: str) -> None:
    reject = reject_modal(CHANGES[name], "C1", Seen.of(CHANGES[name]))
    comment = comment_modal(CHANGES[name], origin="C1")

    check_view(reject)
    check_view(comment)
    assert reject["callback_id"] == ids.REJECT_VIEW
    if name == "pending_first_approval":
        assert_snapshot("modal_reject", reject)


@pytest.mark.parametrize("name", ["pending_first_approval", "long_texts"])
def test_approve_and_withdraw_modals_are_valid_and_keep_what_was_seen(name: str) -> None:
    cr = CHANGES[name]
    assert cr.dry_run is not None
    seen = Seen(cr.revision, cr.dry_run.digest)
    approve = approve_modal(cr, "C1", seen, cr.dry_run.taken_at)
    withdraw = withdraw_modal(cr, "C1")

    check_view(approve)
    check_view(withdraw)
    assert json.loads(approve["private_metadata"]) == {
        "change": cr.id, "revision": cr.revision, "digest": cr.dry_run.digest, "origin": "C1"}
    assert approve["blocks"][1]["optional"] and withdraw["blocks"][1]["optional"]
    assert withdraw["callback_id"] == ids.WITHDRAW_VIEW
    if name == "pending_first_approval":
        assert_snapshot("modal_approve", approve)


def test_approve_modal_warns_of_a_stale_or_missing_dry_run() -> None:
    cr = CHANGES["pending_first_approval"]
    assert cr.dry_run is not None and cr.workflow is not None
    ttl = cr.workflow.timing.dry_run_ttl
    fresh = approve_modal(cr, "C1", Seen(1, None), cr.dry_run.taken_at + ttl)
    stale = approve_modal(cr, "C1", Seen(1, None), cr.dry_run.taken_at + ttl
                          + timedelta(seconds=1))
    missing = approve_modal(CHANGES["pending_no_dry_run"], "C1", Seen(1, None),
                            cr.dry_run.taken_at)

    assert "is stale" not in str(fresh) and "You approve on dry-run" in str(fresh)
    assert "is stale: the approval is refused until it is re-run" in str(stale)
    assert "no dry-run yet" in str(missing)


def test_notice_modal_is_valid() -> None:
    check_view(notice_modal("Submitting…", "Sending CHG-1 for review…"))


def test_short_dry_run_fits_one_page_without_paging_buttons() -> None:
    view = dry_run_modal(CHANGES["pending_first_approval"])

    check_view(view)
    assert all(b["type"] != "actions" for b in view["blocks"])
    assert_snapshot("modal_dry_run", view)


def test_long_dry_run_is_paginated_and_every_page_is_valid() -> None:
    cr = CHANGES["long_texts"]
    pages = page_count(NASTY_OUTPUT)
    assert pages > 2

    shown = []
    for page in range(1, pages + 1):
        view = dry_run_modal(cr, page)
        check_view(view)
        buttons = [e["action_id"] for b in view["blocks"] if b["type"] == "actions"
                   for e in b["elements"]]
        assert (PREVIOUS in buttons) == (page > 1)
        assert (NEXT in buttons) == (page < pages)
        shown += [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    text = "".join(s.removeprefix("```").removesuffix("```") for s in shown)
    unescaped = text.replace("\u200b", "").replace("&lt;", "<").replace("&gt;", ">")
    assert cr.dry_run is not None
    # Pages keep every character of the output; only line ends at page cuts are trimmed.
    assert unescaped.replace("&amp;", "&").replace("\n", "") == cr.dry_run.output.replace("\n", "")


def test_dry_run_modal_without_dry_run_says_so() -> None:
    view = dry_run_modal(CHANGES["pending_no_dry_run"])

    check_view(view)
    assert "no dry-run" in str(view)


def home(lists: dict[str, list[ChangeRequest]], shown: dict[str, int] | None = None
         ) -> dict[str, object]:
    data = HomeData("n1", lists, shown or {}, {"CHG-1": "https://example.slack.com/archives/C1/p1"})
    view = home_view(data)
    check_view(view)
    return view


def test_home_lists_each_section_and_links_known_cards() -> None:
    view = home({AWAITING: [CHANGES["pending_first_approval"]], MINE: [],
                 DECIDED: [CHANGES["rejected"], CHANGES["applied"]]})

    text = str(view)
    assert "Awaiting my approval* (1)" in text
    assert "You have no open requests." in text
    assert "Recently decided* (2)" in text
    assert "Open card" in text
    assert_snapshot("home", view)


def test_home_rows_awaiting_me_carry_the_cards_bound_approve_reject_and_view() -> None:
    cr = CHANGES["pending_first_approval"]
    view = home({AWAITING: [cr], MINE: [], DECIDED: []})

    rows = [b for b in view["blocks"]  # type: ignore[attr-defined]
            if b.get("block_id", "").startswith(ids.HOME_ROW)]
    assert len(rows) == 1
    value = ids.button_value(cr.id, Seen.of(cr))
    assert [(e["action_id"], e["value"]) for e in rows[0]["elements"]] == [
        (ids.APPROVE, value), (ids.REJECT, value), (ids.VIEW_CHANGE, value)]


def test_home_says_what_needs_me_with_the_one_button_that_does_it() -> None:
    needed = [CHANGES["rejected"], CHANGES["expired"], CHANGES["apply_unknown"]]
    view = home({NEEDS: needed, AWAITING: [], APPROVED: [CHANGES["approved"]], MINE: [],
                 DECIDED: []})

    text = json.dumps(view)
    titles = [b["text"]["text"] for b in view["blocks"]  # type: ignore[attr-defined]
              if b["type"] == "section" and b["text"]["text"].startswith("*")
              and "* (" in b["text"]["text"]]
    assert titles == ["*Needs my action* (3)", "*Awaiting my approval* (0)",
                      "*Approved by me, still open* (1)", "*My requests* (0)",
                      "*Recently decided* (0)"]
    assert "Rejected by &lt;@n2&gt;" not in text and "Rejected by <@n2>" in text
    assert "the rollback plan misses &lt;edge-2&gt;" in text  # the reason, escaped
    accessories = [b["accessory"]["action_id"] for b in view["blocks"]  # type: ignore[attr-defined]
                   if "accessory" in b and b["accessory"]["action_id"] != ids.OPEN_CARD]
    assert accessories == [ids.EDIT, ids.EDIT, ids.RESOLVE]
    nothing = json.dumps(home({NEEDS: [], AWAITING: [], APPROVED: [], MINE: [], DECIDED: []}))
    assert "Needs my action" not in nothing and "Approved by me" not in nothing


def test_home_with_hundreds_of_changes_stays_within_100_blocks_and_offers_more() -> None:
    many = [CHANGES["pending_first_approval"]] * 300

    view = home({NEEDS: [CHANGES["rejected"]] * 300, AWAITING: many, APPROVED: many,
                 MINE: many, DECIDED: many},
                shown={NEEDS: 500, AWAITING: 500, APPROVED: 500, MINE: 500, DECIDED: 500})

    blocks = view["blocks"]
    assert isinstance(blocks, list)
    assert len(blocks) <= 100
    assert ids.HOME_MORE in str(blocks)


def _pages(cr: ChangeRequest) -> list[dict[str, Any]]:
    first = change_modal(cr)
    total = 1
    for block in first["blocks"]:
        if block["type"] == "context" and "Page 1 of" in str(block):
            total = int(str(block).split("Page 1 of ")[1].split("'")[0])
    return [first, *(change_modal(cr, n) for n in range(2, total + 1))]


def _code(pages: list[dict[str, Any]]) -> str:
    """Every code block of every page, in order, joined back together."""
    return "".join(b["text"]["text"][3:-3] for page in pages for b in page["blocks"]
                   if b["type"] == "section" and b["text"]["text"].startswith("```"))


def test_a_huge_change_pages_through_valid_views_and_loses_nothing() -> None:
    payload = "\n".join(f"set route {n} <via> core & `edge`" for n in range(6000))[:200_000]
    output = ("+ line of impact & <diff> ``` " * 40 + "\n") * 900
    output = output[:1_000_000]
    base = CHANGES["pending_first_approval"]
    assert base.dry_run is not None
    cr = replace(base, revisions=(replace(base.revisions[0], content=replace(
        base.content, payload=payload)),), dry_run=replace(base.dry_run, output=output))
    assert (len(payload), len(output)) == (200_000, 1_000_000)

    pages = _pages(cr)

    for view in pages:
        check_view(view)
    assert len(pages) > 30
    shown = _code(pages).replace("\n", "")  # pieces are cut at line ends
    for text in (payload, output, base.content.rollback_plan):
        assert code_text(text).replace("\n", "") in shown
    assert "Review history" in str(pages[-1])
    assert [b["action_id"] for b in pages[1]["blocks"][-1]["elements"]] == [
        CHANGE_PREVIOUS, CHANGE_NEXT]


@pytest.mark.parametrize("name", ["applied", "failed"])
def test_view_change_shows_what_the_apply_printed_whether_it_went_through_or_not(
        name: str) -> None:
    cr = CHANGES[name]
    assert cr.apply is not None
    pages = _pages(cr)

    for view in pages:
        check_view(view)
    assert f"*Apply output ({name}, revision 1)*" in json.dumps(pages)
    assert code_text(cr.apply.output) in _code(pages)
    assert "Apply output" not in json.dumps(_pages(CHANGES["approved"]))


def test_the_change_modal_shows_the_diff_and_every_revisions_history() -> None:
    base = CHANGES["pending_first_approval"]
    revised = decide(base, Edit(base.id, "req", replace(
        base.content, payload="neighbor 192.0.2.9 remote-as 65009")), LATER).change
    withdrawn = decide(approved_by(base, "n2"), WithdrawApproval(base.id, "n2", "window moved"),
                       LATER).change

    diff = str(_pages(revised))
    story = history(withdrawn)

    check_view(change_modal(revised))
    assert "Changes from revision 1 to 2" in diff and "+neighbor 192.0.2.9 remote-as 65009" in diff
    assert "revision 1 is the first" in str(change_modal(base))
    assert any("<@n1> approved (stage 1)" in line and "r1" in line for line in story)
    assert any("<@n2> withdrew the approval" in line and ": window moved" in line
               for line in story)
