"""Metadata edits, recorded old→new: approvers judged the change by its title and description
too, so editing either ends the approvals given unless the change's workflow keeps them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow.audit_facts import metadata_changes
from workflow.events import EventKind
from workflow.model import (
    BEFORE_EXECUTING,
    ChangeRequest,
    Metadata,
    MetadataEdit,
    MetadataEdits,
)
from workflow.outcome import Decision, event
from workflow.timing import invalidate_approvals

RESETTING = ("title", "description")  # what approvers read as what the change is for


def edit_metadata(
    cr: ChangeRequest, metadata: Metadata, actor: str, now: datetime, *, revised: bool = False
) -> Decision:
    """Replace the metadata, keeping the edit on the change for its card; `revised` says a new
    revision comes with it, which starts a fresh cycle anyway."""
    changes = metadata_changes(cr.metadata, metadata)
    resets = not revised and _resets(cr, changes)
    after = replace(cr, metadata=metadata,
                    metadata_edit=MetadataEdit(actor, now, cr.metadata, metadata, resets))
    events = [event(after, EventKind.METADATA_EDITED, actor, now, fields=list(changes),
                    changes=changes, approvals_reset=resets)]
    if not resets:
        return Decision(after, tuple(events))
    edited = " and ".join(name for name in RESETTING if name in changes)
    return invalidate_approvals(after, actor, now, events, reason=f"{edited} edited",
                                cause="metadata")


def _resets(cr: ChangeRequest, changes: dict[str, dict[str, object]]) -> bool:
    """A title or description edit of a change in review or approved, with approvals, under a
    workflow that does not keep them."""
    return (cr.workflow is not None and cr.state in BEFORE_EXECUTING
            and cr.workflow.timing.metadata_edits is MetadataEdits.RESET
            and bool(cr.live_responses()) and any(name in changes for name in RESETTING))
