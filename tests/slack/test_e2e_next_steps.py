"""What each person must do next is one click away, end to end against the fake Slack: App
Home's rows approve through the card's bound forms, the requester sees what needs them, the
approver what they approved, `/change list` shows rejected changes, a failed or withdrawn change
is copied as new from its card, and a successful apply's output is on the card."""

from __future__ import annotations

from bot.sandbox.fakeslack.payloads import text_value
from bot.sandbox.fakeslack.state import Ephemeral, Message, ViewRecord
from bot.slack.rendering import ids
from bot.slack.rendering.blocks import actions, button
from tests.slack.harness import (
    CHANNEL,
    REQUESTER,
    SENIOR1,
    SENIOR2,
    Harness,
    blocks_text,
    buttons,
)
from tests.support.reviews import reject_seen
from workflow.model import ApplyStatus, State, Verdict
from workflow.ports import ApplyResult
from workflow.seen import Seen


async def home_of(bot: Harness, user: str, shows: str) -> ViewRecord:
    """The user's Home tab once it shows `shows`."""

    def published() -> ViewRecord | None:
        home = bot.fake.home(user)
        return home if home is not None and shows in blocks_text(home) else None

    return await bot.fake.wait_for(published)


async def new_modal(bot: Harness, user: str, callback_id: str, before: set[str]) -> ViewRecord:
    return await bot.modal_for(user, where=lambda v: v.id not in before
                               and v.view.get("callback_id") == callback_id)


async def ephemeral_with(bot: Harness, user: str, text: str) -> Ephemeral:
    return await bot.fake.wait_for(lambda: next(
        (e for e in bot.fake.state.ephemerals if e.user == user and text in e.text), None))


async def test_approving_from_an_app_home_row_opens_the_bound_form_and_the_lists_follow(
        bot: Harness) -> None:
    cr = await bot.seed(title="Move edge-1 to AS65002")
    await bot.settled()
    await bot.driver.open_home(SENIOR1)
    home = await home_of(bot, SENIOR1, "Awaiting my approval* (1)")
    value = ids.button_value(cr.id, Seen.of(cr))
    assert cr.dry_run is not None

    before = {v.id for v in bot.fake.open_views(SENIOR1)}
    await bot.driver.click_in_view(SENIOR1, home, ids.REJECT, value)
    reject = await new_modal(bot, SENIOR1, ids.REJECT_VIEW, before)
    assert cr.id in blocks_text(reject)
    bot.fake.close_view(reject)
    await bot.driver.click_in_view(SENIOR1, home, ids.VIEW_CHANGE, value)
    assert f"Change {cr.id}" in blocks_text(await bot.modal_for(SENIOR1, "Review history"))
    before = {v.id for v in bot.fake.open_views(SENIOR1)}
    await bot.driver.click_in_view(SENIOR1, home, ids.APPROVE, value)
    form = await new_modal(bot, SENIOR1, ids.APPROVE_VIEW, before)
    assert f"Approving revision 1 of *{cr.id}*" in blocks_text(form)
    assert cr.dry_run.digest[:12] in blocks_text(form)
    await bot.driver.submit(SENIOR1, form, {ids.COMMENT_BLOCK: text_value("from App Home")})

    await bot.card(cr.id, shows="1 of 2: <@USEN1>")
    after = await bot.engine.get(cr.id)
    assert after is not None
    response = after.live_response_of(SENIOR1)
    assert response is not None and response.verdict is Verdict.APPROVE
    assert (response.comment, response.digest) == ("from App Home", cr.dry_run.digest)
    await bot.settled()
    home = await home_of(bot, SENIOR1, "Approved by me, still open* (1)")
    assert "Awaiting my approval* (0)" in blocks_text(home)
    assert ids.APPROVE not in blocks_text(home)


async def test_a_row_drawn_before_a_new_dry_run_is_refused_before_any_form_opens(
        bot: Harness) -> None:
    cr = await bot.seed()
    await bot.settled()
    await bot.driver.open_home(SENIOR2)
    drawn = await home_of(bot, SENIOR2, "Awaiting my approval* (1)")
    bot.executor.dry_run_output = "+ neighbor 192.0.2.1 remote-as 65002"
    await bot.engine.run_dry_run(cr.id, REQUESTER)
    await bot.settled()
    before = {v.id for v in bot.fake.open_views(SENIOR2)}

    await bot.driver.click_in_view(SENIOR2, drawn, ids.APPROVE,
                                   ids.button_value(cr.id, Seen.of(cr)))

    told = await bot.fake.wait_for(lambda: next(
        (m for m in bot.fake.messages(SENIOR2) if "changed since you saw" in m.text), None))
    assert cr.id in told.text
    assert {v.id for v in bot.fake.open_views(SENIOR2)} == before
    assert (await bot.engine.get(cr.id)).live_response_of(SENIOR2) is None  # type: ignore[union-attr]


async def test_the_requester_sees_a_rejection_with_its_reason_and_edits_it_from_app_home(
        bot: Harness) -> None:
    cr = await bot.seed(title="Move edge-1 to AS65002")
    await reject_seen(bot.engine, cr.id, SENIOR1, "use <edge-2> instead")
    await bot.settled()
    await bot.driver.open_home(REQUESTER)

    home = await home_of(bot, REQUESTER, "Needs my action* (1)")

    text = blocks_text(home)
    assert f"Rejected by <@{SENIOR1}>" in text and "use &lt;edge-2&gt; instead" in text
    before = {v.id for v in bot.fake.open_views(REQUESTER)}
    await bot.driver.click_in_view(REQUESTER, home, ids.EDIT)
    form = await new_modal(bot, REQUESTER, ids.EDIT_VIEW, before)
    assert f"Edit {cr.id}" in blocks_text(form)

    await bot.driver.slash(REQUESTER, "list")
    listed = await bot.ephemeral_for(REQUESTER, "Needs your action* (1)")
    assert f"*{cr.id}* Move edge-1 to AS65002" in listed
    assert f"by <@{SENIOR1}>: _use &lt;edge-2&gt; instead_" in listed
    await bot.driver.slash(SENIOR1, "list")
    assert "Needs your action" not in await bot.ephemeral_for(SENIOR1, "Awaiting your approval")


async def test_a_failed_change_is_copied_as_new_from_its_card_and_submitted(
        bot: Harness) -> None:
    bot.executor.result = ApplyResult(ApplyStatus.FAILED, "error: commit failed on edge-1")
    cr = await bot.seed(risk="low", title="Raise the MTU")
    failed = await bot.engine.apply(cr.id, REQUESTER)
    assert failed.state is State.FAILED
    card = await bot.card(cr.id, shows="Copy as new")
    assert "error: commit failed on edge-1" in blocks_text(card)

    await bot.driver.click(REQUESTER, card, ids.COPY)

    shown = await ephemeral_with(bot, REQUESTER, f"You copied {cr.id} as CHG-2")
    assert "a draft: nobody reviews it until you submit it" in blocks_text(shown.as_message(""))
    draft = await bot.engine.get("CHG-2")
    assert draft is not None
    assert (draft.state, draft.requester, draft.content) == (State.DRAFT, REQUESTER,
                                                             failed.content)
    assert draft.metadata.title == "Raise the MTU"
    assert draft.dry_run is not None  # the bound executor's dry-run ran for the copy
    offered = buttons(shown.as_message(""))
    assert ids.SUBMIT in offered and ids.EDIT in offered
    bot.executor.result = ApplyResult(ApplyStatus.APPLIED, "")
    await bot.driver.click_ephemeral(REQUESTER, shown, ids.SUBMIT)
    await bot.reaches("CHG-2", State.APPROVED)  # low risk: no approval needed
    await bot.card("CHG-2", shows="Approved")
    source = await bot.engine.get(cr.id)
    assert source is not None and source.state is State.FAILED  # left as it was


async def test_copying_a_change_still_in_review_is_refused_saying_why(bot: Harness) -> None:
    cr = await bot.seed()
    card = await bot.card(cr.id)
    stale = Message(card.channel, card.ts, card.text, [actions(
        ids.CARD_ACTIONS_BLOCK, button("Copy as new", ids.COPY,
                                       ids.button_value(cr.id, Seen.of(cr))))], card.user)

    await bot.driver.click(REQUESTER, stale, ids.COPY)

    refused = await bot.ephemeral_for(REQUESTER, "cannot copy")
    assert f"cannot copy: {cr.id} is pending review" in refused
    assert "edit it instead, or withdraw it first" in refused
    assert await bot.engine.get("CHG-2") is None


async def test_change_copy_starts_a_withdrawn_change_again_as_a_draft(bot: Harness) -> None:
    cr = await bot.seed(title="Move edge-1 to AS65002")
    await bot.engine.withdraw_request(cr.id, REQUESTER)

    await bot.driver.slash(SENIOR1, f"copy {cr.id.lower()}")

    shown = await ephemeral_with(bot, SENIOR1, f"You copied {cr.id} as CHG-2")
    assert "Move edge-1 to AS65002" in blocks_text(shown.as_message(""))
    draft = await bot.engine.get("CHG-2")
    assert draft is not None and (draft.state, draft.requester) == (State.DRAFT, SENIOR1)
    await bot.driver.slash(SENIOR1, "copy CHG-2")
    assert "cannot copy: CHG-2 is a draft" in await bot.ephemeral_for(SENIOR1, "cannot copy")


async def test_a_successful_applys_output_is_on_the_card_and_in_view_change(
        bot: Harness) -> None:
    bot.executor.result = ApplyResult(ApplyStatus.APPLIED, "commit complete: 1 neighbor up")
    cr = await bot.seed(risk="low")

    await bot.engine.apply(cr.id, REQUESTER)

    card = await bot.card(cr.id, shows="commit complete: 1 neighbor up")
    assert "Applied" in blocks_text(card)
    assert ids.COPY not in buttons(card)  # an applied change is never started again by a click
    before = {v.id for v in bot.fake.open_views(SENIOR1)}
    await bot.driver.click(SENIOR1, card, ids.VIEW_CHANGE)
    modal = await bot.modal_for(SENIOR1, "Apply output (applied",
                                where=lambda v: v.id not in before)
    assert "commit complete: 1 neighbor up" in blocks_text(modal)
    assert len(bot.fake.messages(CHANNEL)) == 1
