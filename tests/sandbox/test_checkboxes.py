"""Checkboxes in sandbox modals (bulk review): drawn ticked as the view says, sent as Slack
would."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.sandbox.inputs import REQUIRED, field_html, state_values
from bot.sandbox.viewer import Viewer
from bot.slack.rendering.blocks import checkboxes_input

BERLIN = ZoneInfo("Europe/Berlin")
OPTIONS = [("CHG-1:1:", "*CHG-1* One"), ("CHG-2:1:", "*CHG-2* Two"), ("CHG-3:1:", "*CHG-3* 3")]


def test_ticked_boxes_become_the_selected_options_and_nothing_else() -> None:
    blocks = [checkboxes_input("cg_bulk_0", "Changes", OPTIONS)]

    values, missing = state_values(blocks, {"cg_bulk_0": {"value": "CHG-1:1:\nCHG-3:1:\nCHG-9:1:"}},
                                   BERLIN)

    picked = values["cg_bulk_0"]["value"]
    assert picked["type"] == "checkboxes"
    assert [o["value"] for o in picked["selected_options"]] == ["CHG-1:1:", "CHG-3:1:"]
    assert missing == {}


def test_a_required_group_with_nothing_ticked_is_missing() -> None:
    block = {**checkboxes_input("cg_bulk_0", "Changes", OPTIONS), "optional": False}

    _, missing = state_values([block], {"cg_bulk_0": {"value": ""}}, BERLIN)

    assert missing == {"cg_bulk_0": REQUIRED}


def test_boxes_are_drawn_ticked_when_the_view_says_so() -> None:
    element = checkboxes_input("cg_bulk_0", "Changes", OPTIONS, selected=True)["element"]

    drawn = field_html(element, "in-cg_bulk_0-value", Viewer("U1", BERLIN))

    assert drawn.count('type="checkbox"') == 3 and drawn.count(" checked") == 3
    assert 'data-type="checkboxes"' in drawn


def test_a_boxs_mrkdwn_text_is_drawn_as_slack_draws_it() -> None:
    options = [("CHG-4:1:", "*CHG-4* Peer &lt;AS65001&gt; :pencil2:")]
    element = checkboxes_input("cg_bulk_0", "Changes", options)["element"]
    plain = {**element, "options": [{**element["options"][0], "text": {
        "type": "plain_text", "text": "*CHG-4* as typed"}}]}

    drawn = field_html(element, "in-cg_bulk_0-value", Viewer("U1", BERLIN))
    typed = field_html(plain, "in-cg_bulk_0-value", Viewer("U1", BERLIN))

    assert "<b>CHG-4</b> Peer &lt;AS65001&gt; ✏️" in drawn and "*CHG-4*" not in drawn
    assert "*CHG-4* as typed" in typed  # plain text stays as written, as in Slack
