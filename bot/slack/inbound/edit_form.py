"""The Edit form: the proposal form prefilled with a change's current revision, opened only when
the engine would take an edit of it from this person."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.slack.inbound.proposal import FIELD_LIMITS, form_of, too_long
from bot.slack.rendering import ids
from bot.slack.rendering.blocks import context, modal
from bot.slack.rendering.modals import LONG_TEXT_MAX, ProposalForm, proposal_blocks
from bot.slack.rendering.mrkdwn import clip, escape
from workflow.commands import Edit
from workflow.decide import decide
from workflow.errors import NothingChanged, WorkflowError
from workflow.model import ChangeRequest

FIELD_NAMES = {"title": "title", "description": "description", "family": "family",
               "action": "action", "target": "target", "payload": "payload",
               "rollback_plan": "rollback plan", "ticket": "ticket"}


def edit_refusal(cr: ChangeRequest, user: str, now: datetime) -> str | None:
    """Why `user` cannot edit the change from Slack now, or None: the engine's own rule (an
    edit that changes nothing is the one refusal that means "allowed"), then the form's size."""
    try:
        refusal = decide(cr, Edit(cr.id, user), now).refusal
    except WorkflowError as exc:
        refusal = exc
    if refusal is not None and not isinstance(refusal, NothingChanged):
        return refusal.message
    field = too_long(cr)
    if field is not None:
        return (f"the {FIELD_NAMES[field]} of {cr.id} is longer than a Slack form holds "
                f"({FIELD_LIMITS[field]:,} characters): edit it with "
                f"`changegate edit {cr.id} --file change.json` or the API's PATCH")
    return None


def edit_modal(cr: ChangeRequest, user: str, origin: str = "", *,
               form: ProposalForm | None = None, problem: str | None = None) -> dict[str, Any]:
    """The form to revise `cr`; the change and the revision it shows ride in private_metadata,
    so a save never silently replaces a revision someone else made meanwhile."""
    notes = [f"Editing revision {cr.revision} of *{cr.id}*. Changing its content makes "
             f"revision {cr.revision + 1}: a draft with a new dry-run and no approvals, which "
             "you then submit for review. Title, description and ticket keep the revision."]
    if user not in cr.authors:
        notes.append(f":warning: You are not an author of {cr.id}: saving new content makes "
                     "you one, and you can no longer approve or reject it.")
    blocks = [context(clip(" ".join(notes), LONG_TEXT_MAX)),
              *proposal_blocks(form or form_of(cr), problem)]
    meta = {"change": cr.id, "revision": cr.revision, "origin": origin}
    return modal(f"Edit {cr.id}", blocks, callback_id=ids.EDIT_VIEW, submit="Save",
                 close="Cancel", private_metadata=json.dumps(meta))


def saved_text(before: ChangeRequest, after: ChangeRequest, dry_run_note: str) -> str:
    """What the person is told once the edit is saved, and what to do next."""
    title = f"*{after.id}* · {escape(clip(after.metadata.title, 200))}"
    if after.revision == before.revision:
        return (f"{title} keeps revision {after.revision}: only its title, description or "
                "ticket changed.")
    return (f"{title} is now revision {after.revision}, a draft.{dry_run_note}\n\nPress "
            f"*Submit* on its card, or run `/change submit {after.id}`, to send it for review.")
