"""Saving the Edit form: inline errors before ack, then the engine's edit (the command the API's
PATCH runs), the new revision's dry-run, and what to do next."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.inbound import payload
from bot.slack.inbound.edit_form import edit_modal, saved_text
from bot.slack.inbound.feedback import FAILED
from bot.slack.inbound.proposal import edited, form_errors, read_form
from bot.slack.inbound.submissions import dry_run_note
from bot.slack.inbound.views import show_view
from bot.slack.rendering import ids
from bot.slack.rendering.modals import notice_modal
from bot.slack.services import SlackServices
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach the Edit form's submission listener."""

    @app.view(ids.EDIT_VIEW)
    async def save(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = read_form(view)
        errors = form_errors(form, services.clock.now())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        meta = payload.metadata(view)
        change_id, origin = str(meta.get("change", "")), str(meta.get("origin") or "")
        title = f"Edit {change_id}"
        await ack(response_action="update", view=notice_modal(title, "Saving…"))
        user = payload.actor(body)
        cr = await services.changes.get(change_id)
        if cr is None:
            await show_view(services, view, notice_modal(title, f"{change_id} does not exist."))
            return
        revision = meta.get("revision")
        revision = revision if isinstance(revision, int) else cr.revision
        content, metadata = edited(cr, form)
        if content == cr.content and metadata == cr.metadata:
            await show_view(services, view, notice_modal(
                title, f"Nothing changed: {cr.id} stays at revision {cr.revision}."))
            return
        try:
            after = await services.engine.edit(
                cr.id, user, content if content != cr.content else None,
                metadata if metadata != cr.metadata else None, revision=revision)
        except WorkflowError as refusal:
            # Another revision won meanwhile: offer it as the base, so saving again replaces it.
            latest = await services.changes.get(change_id) or cr
            await show_view(services, view, edit_modal(latest, user, origin, form=form,
                                                       problem=refusal.message))
            return
        except Exception:
            log.exception("edit of %s by %s failed", change_id, user)
            await show_view(services, view, edit_modal(cr, user, origin, form=form,
                                                       problem=FAILED))
            return
        note = await dry_run_note(services, after, user) if after.revision > cr.revision else ""
        await show_view(services, view, notice_modal(title, saved_text(cr, after, note)))
