"""Modal submissions: validate before ack (inline errors), then act and show the outcome."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.inbound import payload
from bot.slack.inbound.decided import decide_then_ack
from bot.slack.inbound.feedback import FAILED
from bot.slack.inbound.proposal import form_errors, read_form, to_domain
from bot.slack.inbound.views import show_view
from bot.slack.rendering import ids
from bot.slack.rendering.modals import notice_modal, proposal_modal
from bot.slack.rendering.mrkdwn import clip, escape
from bot.slack.services import SlackServices
from workflow.errors import InvalidInput, NoExecutor, WorkflowError
from workflow.model import ApplyStatus, ChangeRequest
from workflow.seen import Seen, seen_from_wire

log = logging.getLogger(__name__)
BLANK_REASON = "Say why you reject it: the requester needs to know what to change."
BLANK_COMMENT = "Write something, or close the window."


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the submission listeners."""

    @app.view(ids.PROPOSE_VIEW)
    async def propose(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = read_form(view)
        errors = form_errors(form, services.clock.now())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update",
                  view=notice_modal("Propose a change", "Submitting your change…"))
        user, origin = payload.actor(body), str(payload.metadata(view).get("origin") or "")
        content, metadata = to_domain(form)
        try:  # the view id is the idempotency key: a second submission of it creates nothing
            proposed = await services.engine.propose_once(
                user, content, metadata, idempotency_key=str(view["id"]))
        except WorkflowError as refusal:
            await show_view(services, view, proposal_modal(form, origin=origin,
                                                       problem=refusal.message))
            return
        except Exception:
            log.exception("proposal by %s failed", user)
            await show_view(services, view, proposal_modal(form, origin=origin, problem=FAILED))
            return
        cr, note = proposed.change, ""
        if proposed.created:  # a draft, then its dry-run, then submitted: each step is told
            note = await dry_run_note(services, cr, user)
            cr, held = await _submit(services, cr, user)
            if held:
                await show_view(services, view,
                                notice_modal("Change saved as a draft", held + note))
                return
        await show_view(services, view, notice_modal("Change submitted", _submitted(cr) + note))

    @app.view(ids.REJECT_VIEW)
    async def reject(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = payload.typed(view, ids.REASON_BLOCK)
        if not reason:
            await ack(response_action="errors", errors={ids.REASON_BLOCK: BLANK_REASON})
            return
        change_id, seen = _seen(view)
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.reject(change_id, user, _bound(seen), reason, gesture=gesture)),
            f"You rejected *{change_id}*; the requester is told why.",
            fields={"comment_required": ids.REASON_BLOCK}, comment_block=ids.REASON_BLOCK)

    @app.view(ids.APPROVE_VIEW)
    async def approve(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        change_id, seen = _seen(view)
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.approve(change_id, user, _bound(seen),
                                    payload.typed(view, ids.COMMENT_BLOCK), gesture=gesture)),
            f"You approved revision {seen.revision if seen else '?'} of *{change_id}*.",
            comment_block=ids.COMMENT_BLOCK)

    @app.view(ids.WITHDRAW_VIEW)
    async def withdraw(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        change_id = str(payload.metadata(view).get("change", ""))
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.withdraw_approval(
                change_id, user, payload.typed(view, ids.COMMENT_BLOCK), gesture=gesture)),
            f"You withdrew your approval of *{change_id}*.", comment_block=ids.COMMENT_BLOCK)

    @app.view(ids.COMMENT_VIEW)
    async def comment(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = payload.typed(view, ids.COMMENT_BLOCK)
        if not text:
            await ack(response_action="errors", errors={ids.COMMENT_BLOCK: BLANK_COMMENT})
            return
        change_id = str(payload.metadata(view).get("change", ""))
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.comment(change_id, user, text, gesture=gesture)),
            f"Your comment is in the thread of *{change_id}*.",
            fields={"text": ids.COMMENT_BLOCK})


    @app.view(ids.RESOLVE_VIEW)
    async def resolve(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        outcome = payload.chosen(view, ids.OUTCOME_BLOCK)
        note = payload.typed(view, ids.NOTE_BLOCK)
        errors = {}
        if outcome not in (ApplyStatus.APPLIED.value, ApplyStatus.FAILED.value):
            errors[ids.OUTCOME_BLOCK] = "Choose whether it was applied or failed."
        if not note:
            errors[ids.NOTE_BLOCK] = "Say how you know: what you checked on the target."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        change_id = str(payload.metadata(view).get("change", ""))
        await decide_then_ack(services, ack, body, view, lambda user, gesture: (
            services.engine.resolve(change_id, user, ApplyStatus(outcome), note,
                                    gesture=gesture)),
            f"*{change_id}* is marked {outcome}.",
            fields={"note": ids.NOTE_BLOCK, "status": ids.OUTCOME_BLOCK})


def _seen(view: dict[str, Any]) -> tuple[str, Seen | None]:
    """The change a review form is about, and the revision and digest its reviewer was shown
    (None when the form does not say both: no review is decided without them)."""
    meta = payload.metadata(view)
    change_id = str(meta.get("change", ""))
    if "revision" not in meta or "digest" not in meta:
        return change_id, None
    try:
        return change_id, seen_from_wire(meta["revision"], meta["digest"] or None)
    except InvalidInput:
        return change_id, None


def _bound(seen: Seen | None) -> Seen:
    """What the form was opened on; a form that does not say is refused, never bound to the
    change as it is now."""
    if seen is None:
        raise InvalidInput("private_metadata", "this form does not say which revision and "
                           "dry-run you were shown: open it again from the change's card")
    return seen


async def dry_run_note(services: SlackServices, cr: ChangeRequest, user: str) -> str:
    """Run the bound executor's dry-run for a new change or revision; explain when there is
    none."""
    if cr.dry_run is not None:
        return ""
    try:
        await services.engine.run_dry_run(cr.id, user)
    except NoExecutor:
        return ("\n\nNo executor is bound to its family, so its dry-run must be reported "
                "through the API; approvals wait for it.")
    except WorkflowError as refusal:
        return f"\n\nIts dry-run did not run: {escape(refusal.message)}"
    except Exception as exc:
        log.exception("dry-run of %s failed", cr.id)
        return f"\n\nIts dry-run did not run ({type(exc).__name__}); press *Run dry-run*."
    return "\n\nIts dry-run ran; approvers see the output on the card."


async def _submit(services: SlackServices, cr: ChangeRequest, user: str
                  ) -> tuple[ChangeRequest, str]:
    """Send the new draft for review; when that is refused, the draft stays and says why."""
    try:
        return await services.engine.submit(cr.id, user), ""
    except WorkflowError as refusal:
        return cr, (f"*{cr.id}* · {escape(clip(cr.metadata.title, 200))} is saved as a draft and "
                    f"was not submitted: {escape(refusal.message)}")
    except Exception:
        log.exception("submit of %s failed", cr.id)
        return cr, f"*{cr.id}* is saved as a draft and was not submitted: {FAILED}"


def _submitted(cr: ChangeRequest) -> str:
    state = cr.state.value.replace("_", " ")
    posted = ("Its card is posted for the approvers" if cr.workflow and cr.workflow.stages
              else "It needs no approval; its card is posted in the channel")
    return (f"*{cr.id}* · {escape(clip(cr.metadata.title, 200))} is {state}. {posted}, and a "
            "copy is in your direct messages.")
