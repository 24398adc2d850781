"""An approver's DM digest: the count, a line and the card's bound buttons per listed change,
clipped to ten with the rest counted, escaped, and within Slack's block limits."""

from __future__ import annotations

from dataclasses import replace

from bot.slack.rendering import ids
from bot.slack.rendering.digest import DIGEST_LISTED, digest_message
from bot.slack.rendering.validate import check_message
from tests.support.builders import pending, two_stage
from tests.support.cards import long_texts
from workflow.model import ChangeRequest, Metadata
from workflow.seen import Seen


def changes(n: int) -> list[ChangeRequest]:
    first = pending()
    return [replace(first, id=f"CHG-{i}", metadata=Metadata(f"Change number {i}"))
            for i in range(1, n + 1)]


def button_rows(blocks: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [b["elements"] for b in blocks if b["type"] == "actions"]  # type: ignore[misc]


def valid(total: int, listed: list[ChangeRequest]) -> dict[str, object]:
    message = digest_message(total, listed)
    body: dict[str, object] = {"text": message.text, "blocks": message.blocks}
    check_message(body)
    return body


def test_each_listed_change_has_a_line_and_the_cards_bound_buttons() -> None:
    listed = [pending(), replace(pending(two_stage()), id="CHG-2")]
    message = digest_message(2, listed)

    assert message.text == "2 changes await you"
    rows = button_rows(message.blocks)
    assert len(rows) == 2
    for cr, row in zip(listed, rows, strict=True):
        assert [b["action_id"] for b in row] == [ids.APPROVE, ids.REJECT, ids.VIEW_CHANGE]
        assert {b["value"] for b in row} == {ids.button_value(cr.id, Seen.of(cr))}
        assert ids.parse_button_value(str(row[0]["value"])) == (cr.id, Seen.of(cr))
    text = str(message.blocks)
    assert "*CHG-1* · t" in text and "requested by <@req>" in text
    assert "Stage 1 of 1 · Senior review" in text and "Stage 1 of 2 · Senior review" in text
    assert ":large_orange_circle: high" in text
    assert "more" not in text
    valid(2, listed)


def test_one_change_is_counted_in_the_singular() -> None:
    assert digest_message(1, changes(1)).text == "1 change awaits you"


def test_beyond_ten_the_rest_are_counted_and_the_blocks_stay_within_limits() -> None:
    many = changes(DIGEST_LISTED + 5)
    body = valid(312, many)
    blocks = body["blocks"]
    assert isinstance(blocks, list)
    assert len(button_rows(blocks)) == DIGEST_LISTED
    assert body["text"] == "312 changes await you"
    assert blocks[-1]["type"] == "context"
    assert "and 302 more — see App Home" in str(blocks[-1])
    assert f"CHG-{DIGEST_LISTED + 1}" not in str(blocks)
    assert len({b.get("block_id") for b in blocks if "block_id" in b}) == DIGEST_LISTED


def test_nothing_awaiting_says_so_without_buttons() -> None:
    body = valid(0, [])
    assert body["text"] == "Nothing awaits you"
    assert button_rows(body["blocks"]) == []  # type: ignore[arg-type]


def test_what_people_typed_is_escaped_and_clipped() -> None:
    hostile = replace(pending(), metadata=Metadata("<!channel> <https://evil|Approve here> & "
                                                   "\u202eevil" + "x" * 500))
    body = valid(1, [hostile])
    text = str(body["blocks"])
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; &lt;https://evil|Approve here&gt; &amp;" in text
    assert "\u202e" not in text and "⟪U+202E⟫" in text
    assert "x" * 200 not in text and "…" in text
    valid(1, [long_texts()])
