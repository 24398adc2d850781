"""The small parts: /change parsing, the proposal form, pacing and notice texts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.slack.inbound.command_parse import Parsed, parse
from bot.slack.inbound.payload import MalformedPayload
from bot.slack.inbound.proposal import form_errors, read_form, to_domain
from bot.slack.outbound.notices import requester_text, thread_text
from bot.slack.outbound.pacing import ChannelPacer
from bot.slack.rendering.modals import ProposalForm
from tests.support.cards import sample_changes
from workflow.events import Event, EventKind
from workflow.model import Risk

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("", Parsed("new")),
    ("  new ", Parsed("new")),
    ("LIST", Parsed("list")),
    ("chg-42", Parsed("show", "CHG-42")),
    ("show CHG-007", Parsed("show", "CHG-7")),
    ("withdraw chg-3", Parsed("withdraw", "CHG-3")),
    ("dry-run CHG-3", Parsed("dry-run", "CHG-3")),
    ("apply CHG-3", Parsed("apply", "CHG-3")),
    ("help", Parsed("help")),
])
def test_subcommands_parse(text: str, expected: Parsed) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("frobnicate", "unknown subcommand `frobnicate`"),
    ("<@U1>", "unknown subcommand `@U1`"),
    ("apply", "`apply` needs one change id"),
    ("apply CHG-1 CHG-2", "`apply` needs one change id"),
    ("show 42", "`show` needs one change id"),
    ("list all", "`list` takes no arguments"),
])
def test_bad_input_becomes_help_with_the_problem(text: str, problem: str) -> None:
    parsed = parse(text)

    assert parsed.verb == "help"
    assert parsed.problem is not None and parsed.problem.startswith(problem)


def values(**typed: object) -> dict[str, object]:
    """A submitted proposal view with these fields typed in."""
    out: dict[str, object] = {}
    for key, value in typed.items():
        if key == "risk":
            out[key] = {"value": {"selected_option": {"value": value}}}
        elif key == "schedule":
            out[key] = {"value": {"selected_date_time": value}}
        else:
            out[key] = {"value": {"value": value}}
    return {"state": {"values": out}}


def test_form_reads_trims_and_converts() -> None:
    form = read_form(values(title=" Add peer ", family="bgp", action="add", target="edge-1",
                            risk="high", payload="x", rollback_plan="y", ticket="T-1",
                            schedule=int(NOW.timestamp()) + 3600))

    content, metadata = to_domain(form)

    assert form_errors(form, NOW) == {}
    assert metadata.title == "Add peer"
    assert content.risk is Risk.HIGH
    assert content.scheduled_for == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_form_errors_name_each_field() -> None:
    errors = form_errors(read_form(values(risk="huge", schedule=1)), NOW)

    assert set(errors) == {"title", "family", "action", "target", "payload", "risk", "schedule"}


def test_missing_fields_read_as_empty() -> None:
    assert read_form({"state": {"values": {}}}) == ProposalForm()


@pytest.mark.parametrize("state", [
    {"values": []}, {"values": "x"}, {"values": {"title": "x"}},
    {"values": {"title": {"value": "x"}}}, {"values": {"risk": {"value": {"selected_option": []}}}},
    {"values": {"schedule": {"value": {"selected_date_time": "soon"}}}},
    {"values": {"schedule": {"value": {"selected_date_time": True}}}},
], ids=["list", "text", "block-text", "element-text", "option-list", "time-text", "time-bool"])
def test_malformed_form_state_is_refused(state: object) -> None:
    with pytest.raises(MalformedPayload):
        read_form({"state": state})


async def test_pacer_spaces_posts_per_channel_only() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    await pacer.wait("C1")
    await pacer.wait("C2")
    now[0] += 0.25
    await pacer.wait("C1")
    await pacer.wait("C1")

    assert slept == [0.75, 1.0]


def test_notices_for_people_other_than_the_requester() -> None:
    cr = sample_changes()["pending_first_approval"]
    approve = Event(EventKind.RESPONSE, cr.id, "n1", NOW, data={"verdict": "approve", "stage": 1})
    own = Event(EventKind.COMMENT, cr.id, cr.requester, NOW, data={"text": "note"})

    assert thread_text(approve) == ":white_check_mark: <@n1> approved (stage 1)"
    assert requester_text(approve, cr) is not None
    assert requester_text(own, cr) is None
    assert thread_text(Event(EventKind.PROPOSED, cr.id, "req", NOW)) is None
