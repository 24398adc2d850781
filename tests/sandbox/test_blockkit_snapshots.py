"""The page's Block Kit renderer on every golden rendering of the Slack tests (cards, views)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.blockkit import blocks_html, message_html
from bot.sandbox.viewer import Viewer
from tests.slack.snapshots import SNAPSHOTS

FILES = sorted(SNAPSHOTS.glob("*.json"))
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
VOID = frozenset({"br", "hr", "input", "img"})
NAMES = {"req": "Rita Requester", "n1": "Sam Senior"}


class Balanced(HTMLParser):
    """Fails on a closing tag that does not match the innermost open one."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.buttons: list[dict[str, str | None]] = []
        self.inputs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "button":
            self.buttons.append(found)
        if "bk-input" in (found.get("class") or ""):
            self.inputs.append(found.get("data-block-id"))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def load(path: Path) -> tuple[str, list[dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return str(data.get("text", "")), data["blocks"]


def walk(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button of the blocks, as the bot wrote them."""
    found = []
    for block in blocks:
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def viewer(tz: str = "Europe/Berlin") -> Viewer:
    return Viewer("n1", ZoneInfo(tz), NOW, NAMES, {"S01NETENG": "network-engineers"},
                  {"C0CHANGES": "changes"}, "https://example.slack.com/")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_snapshot_is_drawn_completely_and_well_formed(path: Path) -> None:
    text, blocks = load(path)
    drawn = message_html(text, blocks, viewer())
    parser = Balanced()
    parser.feed(drawn)
    parser.close()

    assert parser.open == []
    assert "bk-unsupported" not in drawn  # every block and element the bot sends is drawn
    assert "&lt;!date" not in drawn and "&lt;@" not in drawn and "&lt;!subteam" not in drawn
    buttons = walk(blocks)
    assert [b["data-action-id"] for b in parser.buttons] == [b["action_id"] for b in buttons]
    assert [b.get("data-value") for b in parser.buttons] == [b.get("value", "") for b in buttons]
    assert sum("data-confirm" in b for b in parser.buttons) == sum("confirm" in b for b in buttons)
    inputs = [b["block_id"] for b in blocks if b["type"] == "input"]
    assert parser.inputs == inputs
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["text"].split(" · ")[0] in drawn


def test_a_card_shows_names_dates_fields_quotes_and_code_for_its_reader() -> None:
    _, blocks = load(SNAPSHOTS / "card_pending_first_approval.json")

    berlin = blocks_html(blocks, viewer("Europe/Berlin"))
    tokyo = blocks_html(blocks, viewer("Asia/Tokyo"))

    assert "@Rita Requester" in berlin
    assert '<span class="mention me" data-user="n1">@Sam Senior</span>' in berlin
    assert "submitted <time" in berlin and ">today at 10:00 AM</time>" in berlin
    assert ">today at 6:00 PM</time>" in tokyo  # 09:00 UTC, seen from Tokyo
    assert 'title="2026-11-02 09:00 UTC"' in berlin
    assert berlin.count('class="bk-field"') == 6
    assert '<pre class="mk-pre">undo x</pre>' in berlin  # the rollback plan, spaces kept
    assert '<pre class="mk-pre">diff v1</pre>' in berlin
    assert "🟠 high" in berlin and "⏳" in berlin
    parser = Balanced()
    parser.feed(berlin)
    approve = next(b for b in parser.buttons if b["data-action-id"] == "cg_approve")
    assert "data-confirm" not in approve  # Approve opens a form, its confirmation
    _, approved = load(SNAPSHOTS / "card_approved.json")
    parser = Balanced()
    parser.feed(blocks_html(approved, viewer("Europe/Berlin")))
    apply = next(b for b in parser.buttons if b["data-action-id"] == "cg_apply")
    confirm = json.loads(apply["data-confirm"] or "{}")
    assert confirm == {"title": "Apply CHG-1 now?", "confirm": "Apply", "deny": "Cancel",
                       "style": "", "text": "Runs the approved revision 1 on edge-1."}


def test_the_proposal_modal_draws_every_kind_of_field() -> None:
    view = json.loads((SNAPSHOTS / "modal_proposal.json").read_text(encoding="utf-8"))

    drawn = blocks_html(view["blocks"], viewer())

    assert drawn.count('<textarea id="in-') == 3
    assert 'id="in-title-value" class="bk-element" data-type="plain_text_input"' in drawn
    assert 'maxlength="150"' in drawn
    assert '<option value="">Select an option</option><option value="low">Low</option>' in drawn
    assert 'type="datetime-local"' in drawn
    assert '<span class="bk-zone">Europe/Berlin</span>' in drawn
    assert 'data-optional="true"' in drawn and "(optional)" in drawn
    assert "What kind of change: bgp, dns.zone, firewall…" in drawn  # hints


def test_the_home_tab_links_to_cards() -> None:
    view = json.loads((SNAPSHOTS / "home.json").read_text(encoding="utf-8"))

    drawn = blocks_html(view["blocks"], viewer())

    assert 'data-url="https://example.slack.com/archives/C1/p1"' in drawn
    assert "Awaiting my approval" in drawn


def test_a_message_without_blocks_shows_its_text() -> None:
    drawn = message_html("*CHG-1* approved by <@req>", [], viewer())

    assert drawn == ('<div class="bk-block bk-section"><div class="bk-text"><b>CHG-1</b> '
                     'approved by <span class="mention" data-user="req">@Rita Requester</span>'
                     "</div></div>")
