"""Every emoji shortcode ChangeGate writes is drawn as an emoji by the sandbox, never as text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.sandbox.emoji import EMOJI, emojize

ROOT = Path(__file__).resolve().parents[2]
# A shortcode as the bot writes one: at the start of a text or after a space, with a letter.
WRITTEN = re.compile(r"(?:^|(?<=\s)):([a-z0-9_+\-]*[a-z][a-z0-9_+\-]*):")


def written_shortcodes() -> set[str]:
    """The shortcodes in the string constants (f-strings' literal parts too) of the bot and the
    workflow core."""
    found: set[str] = set()
    for package in ("bot", "workflow"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.update(WRITTEN.findall(node.value))
    return found


def test_every_shortcode_the_bot_writes_has_an_emoji() -> None:
    written = written_shortcodes()

    assert {"warning", "no_entry", "pencil2", "octagonal_sign"} <= written  # the scan works
    assert sorted(written - set(EMOJI)) == []


@pytest.mark.parametrize(("text", "shown"), [
    (":pencil2: <@U1> made revision 2", "✏️ <@U1> made revision 2"),
    (":octagonal_sign: <@U1> asked to abort", "🛑 <@U1> asked to abort"),
])
def test_the_edit_and_abort_notices_show_their_emoji(text: str, shown: str) -> None:
    assert emojize(text) == shown
