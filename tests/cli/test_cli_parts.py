"""The pipeline client's small parts, in process: settings, the spinner, output clipping."""

from __future__ import annotations

import io

import pytest

from bot.cli.api_client import ClientError, Endpoint
from bot.cli.pipeline import clip
from bot.cli.spinner import Spinner
from bot.cli.wait import describe


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("url", ["https://cg.example.net", "https://cg.example.net/",
                                 "https://cg.example.net/api/v1", "https://cg.example.net/api/v1/"])
def test_the_url_may_name_the_root_or_the_api(url: str) -> None:
    endpoint = Endpoint.from_environment({"CHANGEGATE_URL": url, "CHANGEGATE_TOKEN": " t "})

    assert endpoint == Endpoint("https://cg.example.net/api/v1", "t")


def test_an_empty_token_counts_as_missing() -> None:
    with pytest.raises(ClientError, match="CHANGEGATE_TOKEN is not set"):
        Endpoint.from_environment({"CHANGEGATE_URL": "http://127.0.0.1:8080",
                                   "CHANGEGATE_TOKEN": "  "})


def test_the_spinner_turns_and_counts_seconds_on_a_terminal_only() -> None:
    now = [100.0]
    screen = Terminal()
    spinner = Spinner(screen, "waiting for CHG-7 to be decided", clock=lambda: now[0])

    spinner.draw()
    now[0] += 61.5
    spinner.draw()
    piped = io.StringIO()
    Spinner(piped, "waiting").draw()

    assert screen.getvalue() == ("\r\x1b[K| waiting for CHG-7 to be decided (0s)"
                                 "\r\x1b[K/ waiting for CHG-7 to be decided (1m01s)")
    assert piped.getvalue() == ""


def test_long_output_keeps_its_start_and_end_within_the_limit(
    capsys: pytest.CaptureFixture[str]
) -> None:
    output = "a" * 600 + "b" * 600

    clipped = clip(output, limit=300)

    assert len(clipped) == 300
    assert clipped.startswith("a") and clipped.endswith("b" * 50)
    assert "[… 900 characters cut by changegate result …]" in clipped
    assert clip("short", limit=300) == "short"
    assert "its middle is cut" in capsys.readouterr().err


def test_a_change_is_described_by_its_waiting_requirements() -> None:
    change = {"id": "CHG-7", "state": "pending_review", "workflow": {"name": "critical"},
              "active_stage": 2, "progress": [
                  {"requirements": [{"group": "seniors", "count": 2, "approvers": ["U1", "U2"],
                                     "met": True}]},
                  {"requirements": [{"group": "cab", "count": 1, "approvers": [], "met": False},
                                    {"group": "sec", "count": 2, "approvers": ["U3"],
                                     "met": False}]}]}

    assert describe(change) == ("CHG-7 pending_review, workflow critical, stage 2 of 2 needs "
                                "1 of cab (0 so far), 2 of sec (1 so far)")
    assert describe({"id": "CHG-8", "state": "draft", "workflow": None}) == "CHG-8 draft"
