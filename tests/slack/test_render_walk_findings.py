"""Renderings a walk through the sandbox found wrong (issue 27, items 5 and 6): the bulk form's
labels, the ticket's example, the rollback plan's indentation on the card, line counts, and the
form shown again with what was typed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.mrkdwn_html import to_html
from bot.sandbox.viewer import Viewer
from bot.slack.rendering import ids
from bot.slack.rendering.bulk_views import confirm_modal
from bot.slack.rendering.card import rollback_excerpt
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.change_modal import change_modal
from bot.slack.rendering.modals import (
    REFUSED_BLOCK,
    TICKET_EXAMPLE,
    ProposalForm,
    approve_modal,
    proposal_modal,
    refilled,
)
from bot.slack.rendering.render import render_card
from bot.slack.rendering.validate import check_view
from tests.support.builders import T0, pending
from workflow.commands import Create
from workflow.decide import decide
from workflow.model import ChangeRequest, Content, Metadata, Risk
from workflow.seen import Seen

IOS_ROLLBACK = "router bgp 65000\n no neighbor 192.0.2.1\n  exit-address-family\n"
ONE = [("CHG-4:1:", "*CHG-4* Peer with AS65001")]


def texts(view: dict[str, Any]) -> str:
    return repr(view)


def drafted(payload: str = "set x", rollback_plan: str = "undo x") -> ChangeRequest:
    content = Content("bgp", "update", "edge-1", Risk.HIGH, payload, rollback_plan)
    return decide(None, Create("CHG-1", "req", content, Metadata("t")), T0).change


def test_the_bulk_confirmation_of_one_change_reads_as_english() -> None:
    one = confirm_modal("reject", ONE)
    approve = confirm_modal("approve", [*ONE, ("CHG-5:1:", "*CHG-5* Two")])

    assert one["blocks"][0]["text"]["text"] == "Reject this change? Untick it to leave it out."
    assert approve["blocks"][0]["text"]["text"].startswith("Approve these 2 changes?")
    comment = approve["blocks"][-1]
    assert (comment["label"]["text"], comment["optional"]) == ("Comment", True)  # Slack adds it
    check_view(one)
    check_view(approve)


def test_the_ticket_example_is_not_a_changegate_id() -> None:
    form = proposal_modal()
    ticket = next(b for b in form["blocks"] if b.get("block_id") == "ticket")

    assert ticket["element"]["placeholder"]["text"] == TICKET_EXAMPLE
    assert "CHG-" not in TICKET_EXAMPLE


def test_the_rollback_plan_keeps_its_indentation_on_the_card() -> None:
    cr = drafted(rollback_plan="\n" + IOS_ROLLBACK)

    blocks = asdict(render_card(cr, CardContext(now=T0)))["blocks"]

    shown = next(b["text"]["text"] for b in blocks
                 if b.get("text", {}).get("text", "").startswith("*Rollback plan*"))
    assert shown == ("*Rollback plan*\n```router bgp 65000\n no neighbor 192.0.2.1\n"
                     "  exit-address-family```")
    drawn = to_html(shown, Viewer("U1", ZoneInfo("UTC")))  # and so does the sandbox's page
    assert "router bgp 65000\n no neighbor 192.0.2.1\n  exit-address-family</pre>" in drawn
    assert rollback_excerpt("  \n\n") == "*Rollback plan*\n_none given_"
    assert rollback_excerpt(" shutdown").endswith("``` shutdown```")


def test_a_one_line_text_is_one_line() -> None:
    cr = drafted(payload="x", rollback_plan="a\nb")

    shown = texts(change_modal(cr))

    assert "*Payload* · 1 line, 1 character" in shown
    assert "*Rollback plan* · 2 lines, 3 characters" in shown


def test_a_form_shown_again_keeps_what_was_typed_and_one_message() -> None:
    cr = pending()
    form = approve_modal(cr, "C1", Seen.of(cr), T0)
    proposal = proposal_modal(ProposalForm(title="old", risk="low", schedule=1_900_000_000))
    typed = {ids.COMMENT_BLOCK: {"value": {"type": "plain_text_input", "value": "looks <ok>"}}}
    retyped: dict[str, Any] = {
        "title": {"value": {"type": "plain_text_input", "value": None}},
        "risk": {"value": {"type": "static_select",
                           "selected_option": {"value": "high", "text": {}}}},
        "schedule": {"value": {"type": "datetimepicker", "selected_date_time": 1_900_000_600}}}

    again = refilled({**form, "id": "V1", "state": {}, "hash": "h"}, typed, ":no_entry: stale")
    twice = refilled(again, typed, ":no_entry: still stale")
    proposed = refilled(proposal, retyped, ":warning: try again")

    assert [b.get("block_id") for b in twice["blocks"]].count(REFUSED_BLOCK) == 1
    assert twice["blocks"][0]["text"]["text"] == ":no_entry: still stale"
    comment = next(b for b in twice["blocks"] if b.get("block_id") == ids.COMMENT_BLOCK)
    assert comment["element"]["initial_value"] == "looks <ok>"
    assert {k: twice[k] for k in ("callback_id", "private_metadata", "submit", "title")} == {
        k: form[k] for k in ("callback_id", "private_metadata", "submit", "title")}
    assert "id" not in twice and "state" not in twice and "hash" not in twice
    fields = {b["block_id"]: b["element"] for b in proposed["blocks"] if b["type"] == "input"}
    assert "initial_value" not in fields["title"]  # cleared by the person: shown cleared
    assert fields["risk"]["initial_option"] == next(
        o for o in fields["risk"]["options"] if o["value"] == "high")  # the element's own
    assert fields["schedule"]["initial_date_time"] == 1_900_000_600
    for view in (twice, proposed):
        check_view(view)
