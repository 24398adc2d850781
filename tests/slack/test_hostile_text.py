"""Text a requester typed shows as text wherever a person sees it: no mention, no link, and no
invisible bidi control reordering what is read."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

import pytest

from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.change_modal import change_modal
from bot.slack.rendering.dryrun_modal import dry_run_modal
from bot.slack.rendering.home import AWAITING, HomeData, home_view
from bot.slack.rendering.mrkdwn import BIDI_CONTROLS
from bot.slack.rendering.pager import chunks
from bot.slack.rendering.render import notification_text, render_card
from tests.slack.harness import REQUESTER, Harness
from tests.support.builders import T0, one_stage
from workflow.commands import Create, RecordDryRun, Submit
from workflow.decide import decide
from workflow.model import ChangeRequest, Content, Metadata, Risk

HOSTILE_TITLE = "<!channel> <https://evil|Approve here>"
CONTROLS = "".join(chr(code) for code in BIDI_CONTROLS)
# "deny" reads as "allow" once U+202E flips the rest of the line
FLIPPED = "permit ip any any \u202e# wolla ot yned\u202c"


def bidi_change() -> ChangeRequest:
    """A change with bidi controls in every field a person reads."""
    content = Content("acl", "update", f"edge-1{CONTROLS}", Risk.HIGH, f"{FLIPPED}\n{CONTROLS}",
                      f"no {FLIPPED}")
    cr = decide(None, Create("CHG-1", "req", content, Metadata(f"Harmless {FLIPPED}",
                                                                f"why {CONTROLS}")), T0).change
    cr = decide(cr, RecordDryRun("CHG-1", "req", f"+ {FLIPPED}\n{CONTROLS}"), T0).change
    return decide(cr, Submit("CHG-1", "req", one_stage()), T0).change


def shown(rendered: object) -> str:
    return json.dumps(rendered, ensure_ascii=False)


def test_a_title_with_a_mention_and_a_link_is_escaped_in_the_notification_text() -> None:
    cr = decide(None, Create("CHG-1", "req", bidi_change().content, Metadata(HOSTILE_TITLE)),
                T0).change

    text = notification_text(cr)

    assert text.startswith("CHG-1 &lt;!channel&gt; &lt;https://evil|Approve here&gt;")
    assert "<" not in text and ">" not in text


SURFACES: dict[str, Callable[[ChangeRequest], object]] = {
    "card": lambda cr: asdict(render_card(cr, CardContext(now=T0))),
    "dry-run modal": dry_run_modal,
    "change modal": change_modal,
    "App Home": lambda cr: home_view(HomeData("U1", {AWAITING: [cr]})),
}


@pytest.mark.parametrize("surface", SURFACES)
def test_bidi_controls_are_shown_marked(surface: str) -> None:
    text = shown(SURFACES[surface](bidi_change()))

    assert not set(CONTROLS) & set(text)
    assert "⟪U+202E⟫" in text
    if surface != "App Home":  # the tab lists titles and targets, not payloads
        assert "⟪U+061C⟫" in text and "⟪U+2069⟫" in text


def test_a_long_text_is_never_cut_inside_a_mark() -> None:
    pieces = chunks("x" * 2795 + "\u202e" * 3, 2800)

    assert pieces[0].endswith("x")
    assert "".join(pieces) == "x" * 2795 + "⟪U+202E⟫" * 3


async def test_a_hostile_title_posts_a_card_whose_text_is_escaped(bot: Harness) -> None:
    await bot.seed(title=HOSTILE_TITLE)
    card = await bot.card("CHG-1")
    await bot.settled()
    copies = [card, *[m for m in bot.fake.messages(bot.fake.workspace.dm_with(REQUESTER).id)
                      if m.text.startswith("CHG-1 ")]]

    assert len(copies) == 2  # the channel's and the requester's
    for copy in copies:
        assert "<!channel>" not in copy.text
        assert "<https://" not in copy.text and "|Approve here>" not in copy.text
        assert "&lt;!channel&gt;" in copy.text
