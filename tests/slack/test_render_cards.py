"""Every card the bot can render passes slack_sdk validation, the count limits and its snapshot."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import timedelta

import pytest

from bot.slack.rendering import ids
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.mrkdwn import code_block
from bot.slack.rendering.render import render_card
from bot.slack.rendering.validate import check_message
from storage.ports.cards import Audience
from storage.ports.change_queries import AuditAnchor, Settled
from tests.slack.snapshots import assert_snapshot
from tests.support.builders import SENIORS, T0, pending
from tests.support.cards import LATER, sample_changes
from workflow.model import TERMINAL_STATES, State, WorkflowSnapshot

CHANGES = sample_changes()
ANCHOR = AuditAnchor(42, "3f2a9c0d1e4b" + "0" * 52)


def context_for(name: str, audience: Audience = Audience.CHANNEL) -> CardContext:
    cr = CHANGES[name]
    settled = Settled("cancelled" if cr.state is State.CANCELLED else "expired", "system",
                      LATER)
    return CardContext(now=LATER, audience=audience, anchor=ANCHOR, settled=settled)


def card(name: str, audience: Audience = Audience.CHANNEL) -> dict[str, object]:
    return asdict(render_card(CHANGES[name], context_for(name, audience)))


def button_ids(message: dict[str, object]) -> list[str]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("name", sorted(CHANGES))
@pytest.mark.parametrize("audience", list(Audience))
def test_every_card_is_valid_block_kit(name: str, audience: Audience) -> None:
    message = asdict(render_card(CHANGES[name], context_for(name, audience)))

    check_message(message)
    if audience is Audience.CHANNEL:
        assert_snapshot(f"card_{name}", message)


SETTLED = sorted(n for n, cr in CHANGES.items()
                 if cr.is_terminal and n not in ("apply_unknown", "applied", "failed")
                 and cr.state not in (State.REJECTED, State.EXPIRED))


@pytest.mark.parametrize("name", SETTLED)
def test_a_withdrawn_card_offers_only_copy_as_new_and_the_change(name: str) -> None:
    assert CHANGES[name].state in TERMINAL_STATES
    assert button_ids(asdict(render_card(CHANGES[name], context_for(name)))) == [
        ids.COPY, ids.VIEW_CHANGE]


@pytest.mark.parametrize("name", ["rejected", "expired"])
def test_a_rejected_or_expired_card_offers_only_edit_copy_and_the_change(name: str) -> None:
    assert button_ids(card(name)) == [ids.EDIT, ids.COPY, ids.VIEW_CHANGE]


def test_copy_as_new_is_offered_for_a_failed_apply_never_an_applied_one() -> None:
    assert button_ids(card("failed")) == [ids.POST_REVIEW, ids.COPY, ids.VIEW_CHANGE]
    assert button_ids(card("applied")) == [ids.POST_REVIEW, ids.VIEW_CHANGE]


@pytest.mark.parametrize("name", ["applied", "failed"])
def test_the_output_of_an_ended_apply_is_on_the_card_whether_it_went_through_or_not(
        name: str) -> None:
    attempt = CHANGES[name].apply
    assert attempt is not None and attempt.output
    texts = [b.get("text", {}).get("text", "")
             for b in card(name)["blocks"]]  # type: ignore[attr-defined]
    outcome = [text for text in texts if text.startswith(name.capitalize())]
    assert len(outcome) == 1 and code_block(attempt.output) in outcome[0]


def test_a_draft_card_offers_edit_submit_and_its_dry_run() -> None:
    draft = replace(CHANGES["pending_first_approval"], state=State.DRAFT, workflow=None,
                    submitted_at=None, expires_at=None)
    rendered = asdict(render_card(draft, CardContext(now=LATER)))

    check_message(rendered)
    assert button_ids(rendered) == [ids.EDIT, ids.SUBMIT, ids.RERUN_DRY_RUN, ids.VIEW_DRY_RUN,
                                    ids.WITHDRAW_REQUEST, ids.VIEW_CHANGE]


@pytest.mark.parametrize("name", ["applied", "failed"])
def test_an_ended_apply_offers_to_record_its_review(name: str) -> None:
    rendered = asdict(render_card(CHANGES[name], context_for(name)))

    assert button_ids(rendered)[0] == ids.POST_REVIEW
    assert CHANGES[name].workflow is not None


def test_unknown_apply_card_offers_only_settling_and_the_dry_run() -> None:
    rendered = asdict(render_card(CHANGES["apply_unknown"], context_for("apply_unknown")))
    assert button_ids(rendered) == [ids.RESOLVE, ids.VIEW_DRY_RUN, ids.VIEW_CHANGE]


def test_pending_card_shows_progress_mentions_and_every_button() -> None:
    message = card("pending_first_approval")

    text = str(message["blocks"])
    assert "Stage 1 of 1 · Senior review · 1 of 2: <@n1>" in text
    assert button_ids(message) == [
        ids.APPROVE, ids.REJECT, ids.WITHDRAW_APPROVAL, ids.RERUN_DRY_RUN, ids.VIEW_DRY_RUN,
        ids.COMMENT, ids.VIEW_CHANGE,
    ]
    assert "audit #42 `3f2a9c0d1e4b`" in text


def test_second_stage_is_named_and_counted() -> None:
    text = str(card("pending_stage_two"))

    assert "Stage 1 of 2 · Senior review · 2 of 2: <@n1>, <@n2>" in text
    assert "Stage 2 of 2 · Change Advisory Board · 0 of 1" in text


def test_approve_carries_what_it_shows_and_opens_a_form_rather_than_a_dialog() -> None:
    message = card("pending_first_approval")
    approve = next(e for b in message["blocks"] if b["type"] == "actions"
                   for e in b["elements"] if e["action_id"] == ids.APPROVE)

    assert "confirm" not in approve  # the Approve form is the confirmation
    change_id, revision, digest = approve["value"].split(":")
    assert (change_id, revision) == ("CHG-1", "1")
    assert digest[:12] in str(message["blocks"])  # the button binds what the card shows


def test_requester_copy_offers_withdraw_request_not_approve() -> None:
    message = card("pending_first_approval", Audience.REQUESTER)

    assert ids.APPROVE not in button_ids(message)
    assert ids.WITHDRAW_REQUEST in button_ids(message)


def test_dry_run_age_and_expiry_are_date_tokens_with_digest_prefix() -> None:
    cr = CHANGES["pending_first_approval"]
    assert cr.dry_run is not None
    text = str(asdict(render_card(cr, context_for("pending_first_approval"))))
    taken = int(cr.dry_run.taken_at.timestamp())
    expiry = int((cr.dry_run.taken_at + timedelta(minutes=30)).timestamp())

    assert f"`sha256:{cr.dry_run.digest[:12]}`" in text
    assert f"<!date^{taken}^{{ago}}|" in text
    assert f"<!date^{expiry}^" in text


def test_stale_dry_run_is_flagged() -> None:
    cr = CHANGES["pending_first_approval"]
    fresh = str(asdict(render_card(cr, CardContext(now=T0 + timedelta(minutes=30)))))
    stale = str(asdict(render_card(cr, CardContext(now=T0 + timedelta(minutes=31)))))

    assert "stale" not in fresh
    assert "Dry-run (stale)" in stale


def test_group_without_enough_members_cannot_currently_be_met() -> None:
    cr = CHANGES["pending_first_approval"]
    enough = render_card(cr, CardContext(now=LATER, available={SENIORS: 1}))
    short = asdict(render_card(cr, CardContext(now=LATER, available={SENIORS: 0})))

    check_message(short)
    assert "cannot currently be met" not in str(asdict(enough))
    assert "cannot currently be met" in str(short)
    assert_snapshot("card_cannot_be_met", short)


def test_rejected_card_says_who_when_and_why_escaped() -> None:
    text = str(asdict(render_card(CHANGES["rejected"], context_for("rejected"))))

    assert "Rejected by <@n2>" in text
    assert "&lt;edge-2&gt;" in text


def test_long_texts_are_clipped_not_refused() -> None:
    message = asdict(render_card(CHANGES["long_texts"], context_for("long_texts")))

    check_message(message)
    assert "…" in message["blocks"][0]["text"]["text"]


def test_the_card_shows_the_payloads_first_lines_and_says_how_much_is_left_out() -> None:
    base = CHANGES["pending_first_approval"]
    payload = "\n".join(f"set route {n} <via> core & ```" for n in range(8000))[:200_000]
    cr = replace(base, revisions=(replace(base.revisions[0], content=replace(
        base.content, payload=payload)),))

    message = asdict(render_card(cr, context_for("pending_first_approval")))

    check_message(message)
    text = str(message["blocks"])
    assert "set route 11 &lt;via&gt; core &amp;" in text and "set route 12 " not in text
    shown = "\n".join(f"set route {n} <via> core & ```" for n in range(12))
    left = len(payload) - len(shown) - 1
    assert f"{left:,} more characters ({len(payload.splitlines()) - 12:,} more lines)" in text
    assert button_ids(message)[-1] == ids.VIEW_CHANGE
    assert "more characters" not in str(card("pending_first_approval"))  # short: all shown


def test_a_settled_card_drops_the_dry_runs_validity() -> None:
    settled = str(card("applied")["blocks"])
    pending = str(card("pending_first_approval")["blocks"])

    assert "Valid until" in pending and "(valid for 30m)" in pending
    assert "Valid until" not in settled and "valid for" not in settled
    assert "`sha256:b21ae7122c8a` reported by <@req>" in settled  # what it was, still shown


def test_a_change_with_no_stages_offers_no_approval_to_withdraw() -> None:
    cr = pending(WorkflowSnapshot(name="low", policy_version="v1", stages=()))
    message = asdict(render_card(cr, context_for("pending_first_approval")))

    assert cr.state is State.APPROVED
    assert ids.APPLY in button_ids(message) and ids.WITHDRAW_APPROVAL not in button_ids(message)
    assert ids.WITHDRAW_APPROVAL in button_ids(card("approved"))
