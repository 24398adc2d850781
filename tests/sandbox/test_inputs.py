"""What a person types into a modal becomes the view state Slack would send, in their time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.inputs import REQUIRED, field_html, state_values
from bot.sandbox.viewer import Viewer
from bot.slack.rendering.blocks import datetime_input, select_input, text_input

BERLIN = ZoneInfo("Europe/Berlin")
BLOCKS: list[dict[str, Any]] = [
    text_input("title", "Title"),
    text_input("description", "Description", multiline=True, optional=True),
    select_input("risk", "Risk", [("low", "Low"), ("high", "High")]),
    datetime_input("schedule", "Schedule"),
    {"type": "input", "block_id": "day", "optional": True, "label": {"type": "plain_text",
     "text": "Day"}, "element": {"type": "datepicker", "action_id": "value"}},
    {"type": "input", "block_id": "at", "optional": True, "label": {"type": "plain_text",
     "text": "At"}, "element": {"type": "timepicker", "action_id": "value"}},
    {"type": "section", "block_id": "note", "text": {"type": "mrkdwn", "text": "not an input"}},
]


def test_every_field_is_reported_as_slack_reports_it() -> None:
    typed = {"title": {"value": " Peer "}, "description": {"value": ""},
             "risk": {"value": "high"}, "schedule": {"value": "2026-11-02T10:30"},
             "day": {"value": "2026-11-03"}, "at": {"value": "09:15"},
             "note": {"value": "ignored"}}

    values, missing = state_values(BLOCKS, typed, BERLIN)

    assert missing == {}
    assert values == {
        "title": {"value": {"type": "plain_text_input", "value": " Peer "}},
        "description": {"value": {"type": "plain_text_input", "value": None}},
        "risk": {"value": {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "High", "emoji": True}, "value": "high"}}},
        "schedule": {"value": {"type": "datetimepicker", "selected_date_time": int(
            datetime(2026, 11, 2, 9, 30, tzinfo=UTC).timestamp())}},
        "day": {"value": {"type": "datepicker", "selected_date": "2026-11-03"}},
        "at": {"value": {"type": "timepicker", "selected_time": "09:15"}},
    }


def test_required_fields_left_blank_are_named_and_nonsense_is_dropped() -> None:
    typed = {"title": {"value": "   "}, "risk": {"value": "extreme"},
             "schedule": {"value": "tomorrow"}, "day": {"value": "2026-13-40"},
             "at": {"value": "25:99"}}

    values, missing = state_values(BLOCKS, typed, BERLIN)

    assert missing == {"title": REQUIRED, "risk": REQUIRED}
    assert values["risk"]["value"]["selected_option"] is None
    assert values["schedule"]["value"]["selected_date_time"] is None
    assert values["day"]["value"]["selected_date"] is None
    assert values["at"]["value"]["selected_time"] is None


def test_element_types_come_from_the_view_not_from_the_page() -> None:
    values, _ = state_values(BLOCKS, {"risk": {"value": "low", "type": "plain_text_input"}},
                             BERLIN)

    assert values["risk"]["value"]["type"] == "static_select"


def test_a_schedule_is_shown_in_the_readers_zone() -> None:
    stamp = int(datetime(2026, 11, 2, 9, 30, tzinfo=UTC).timestamp())
    element = datetime_input("schedule", "Schedule", initial=stamp)["element"]

    drawn = field_html(element, "in-schedule-value", Viewer("U1", BERLIN))

    assert 'value="2026-11-02T10:30"' in drawn
    assert "Europe/Berlin" in drawn


def test_a_field_the_sandbox_cannot_draw_says_so() -> None:
    drawn = field_html({"type": "conversations_select", "action_id": "v"}, "x", Viewer("U1"))

    assert "does not show this field: conversations_select" in drawn
