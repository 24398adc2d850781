"""Card summaries of long outputs: within the limit, on line boundaries, saying what is left out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.executors import summarise


def test_short_output_is_shown_as_is() -> None:
    assert summarise("+ a\n- b", 100) == "+ a\n- b"


def test_long_output_shows_whole_first_lines_and_counts_the_rest() -> None:
    output = "\n".join(f"+ line {i}" for i in range(1000)) + "\n- gone"
    card = summarise(output, 300)
    shown, note = card.split("\n… ")
    assert output.startswith(shown + "\n") and shown.endswith(tuple("0123456789"))
    assert note.startswith(f"{1001 - len(shown.splitlines())} more lines (")
    assert note.endswith("not shown; +1000 -1 lines in all; the whole output is stored")
    assert len(card) <= 300


def test_one_huge_line_is_cut() -> None:
    card = summarise("x" * 10_000, 200)
    assert card.startswith("x" * 50) and len(card) <= 200
    assert "the whole output is stored" in card


@given(st.text(alphabet="+-ab \n", max_size=3000), st.integers(min_value=120, max_value=2000))
def test_a_summary_never_exceeds_its_limit(output: str, limit: int) -> None:
    card = summarise(output, limit)
    assert len(card) <= limit
    if len(output) <= limit:
        assert card == output


def test_one_line_left_out_is_one_line() -> None:
    card = summarise("+ short\n" + "y" * 400, 200)
    assert card.startswith("+ short\n… 1 more line (400 characters) not shown")
