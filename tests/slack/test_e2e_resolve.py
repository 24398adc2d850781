"""An apply whose outcome is unknown is settled from its card by a person, with a note."""

from __future__ import annotations

from bot.slack.rendering import ids
from tests.slack.harness import REQUESTER, SENIOR1, SENIOR2, Harness, buttons
from tests.support.reviews import approve_seen
from workflow.model import State


def outcome(value: str) -> dict[str, object]:
    return {"type": "static_select", "selected_option": {"value": value}}


def note(text: str) -> dict[str, object]:
    return {"type": "plain_text_input", "value": text}


async def test_unknown_apply_is_marked_from_the_card_and_the_note_is_required(
    bot: Harness,
) -> None:
    cr = await bot.seed()
    await approve_seen(bot.engine, cr.id, SENIOR1)
    await approve_seen(bot.engine, cr.id, SENIOR2)
    bot.executor.raise_on_apply = TimeoutError("no answer within 300 s")
    assert (await bot.engine.apply(cr.id, REQUESTER)).state is State.APPLY_UNKNOWN
    card = await bot.card(cr.id, shows="Outcome unknown")
    assert buttons(card)[0] == ids.RESOLVE

    await bot.driver.click(SENIOR1, card, ids.RESOLVE)
    modal = await bot.modal_for(SENIOR1, f"Settle {cr.id}")
    blank = await bot.driver.submit(SENIOR1, modal, {
        ids.OUTCOME_BLOCK: {"value": outcome("applied")},
        ids.NOTE_BLOCK: {"value": note("  ")},
    })
    assert blank.json["response_action"] == "errors"
    assert set(blank.json["errors"]) == {ids.NOTE_BLOCK}
    assert (await bot.engine.get(cr.id)).state is State.APPLY_UNKNOWN  # type: ignore[union-attr]

    await bot.driver.submit(SENIOR1, modal, {
        ids.OUTCOME_BLOCK: {"value": outcome("applied")},
        ids.NOTE_BLOCK: {"value": note("neighbor 192.0.2.1 is established on edge-1")},
    })
    card = await bot.card(cr.id, shows="settled by <@USEN1>")
    settled = await bot.engine.get(cr.id)
    assert settled is not None and settled.state is State.APPLIED
    assert ids.RESOLVE not in buttons(card)
    assert len(bot.executor.applies) == 1
