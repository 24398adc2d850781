"""JSON representations: the aggregate as the codec writes it, plus what clients derive from it."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from storage.audit_chain import AuditRow
from workflow.codec import change_to_dict, content_to_dict
from workflow.model import TERMINAL_STATES, ChangeRequest, State
from workflow.progress import active_stage, all_progress
from workflow.ticket_links import ticket_link

UNDECIDED = frozenset({State.DRAFT, State.PENDING_REVIEW})
# The policy's ticket link template while a request is answered: the API's middleware
# (bot/api/app.py `ticket_links`) sets it from the request's dependencies, so every answer that
# shows a change (a read, a write, a list, a long-poll, a bulk review) links its ticket alike.
TICKET_URL: ContextVar[str | None] = ContextVar("ticket_url", default=None)


def ticket_url_of(cr: ChangeRequest, template: str | None = None) -> str | None:
    """The change's ticket as a link under `template`, else the request's template."""
    return ticket_link(template if template is not None else TICKET_URL.get(),
                       cr.metadata.ticket)


def decided(cr: ChangeRequest) -> bool:
    """The review is over: approved (and maybe applying) or ended."""
    return cr.state not in UNDECIDED


def terminal(cr: ChangeRequest) -> bool:
    """Nothing will happen to the change any more (but a new revision)."""
    return cr.state in TERMINAL_STATES


def progress(cr: ChangeRequest) -> list[dict[str, Any]]:
    """Each stage with the people counted toward each requirement."""
    return [
        {
            "stage": p.index + 1,
            "name": p.stage.name,
            "met": p.met,
            "requirements": [
                {"group": r.requirement.group, "count": r.requirement.count,
                 "approvers": list(r.approvers), "met": r.met}
                for r in p.requirements
            ],
        }
        for p in all_progress(cr)
    ]


def _active(cr: ChangeRequest) -> int | None:
    """1-based number of the stage waiting for approvals while in review."""
    if cr.state is not State.PENDING_REVIEW:
        return None
    index = active_stage(cr)
    return None if index is None else index + 1


def change_json(cr: ChangeRequest, ticket_url: str | None = None) -> dict[str, Any]:
    """The whole change: every revision, the dry-run, responses, comments, workflow, apply, and
    its ticket as a link (null without a template or a ticket). The template is the request's
    (TICKET_URL) unless `ticket_url` gives one."""
    return {
        **change_to_dict(cr),
        "revision": cr.revision,
        "content": content_to_dict(cr.content),
        "authors": sorted(cr.authors),
        "active_stage": _active(cr),
        "progress": progress(cr),
        "decided": decided(cr),
        "terminal": terminal(cr),
        "ticket_url": ticket_url_of(cr, ticket_url),
    }


def summary_json(cr: ChangeRequest, ticket_url: str | None = None) -> dict[str, Any]:
    """A list entry: enough to pick a change, without outputs and histories."""
    content = cr.content
    return {
        "id": cr.id,
        "title": cr.metadata.title,
        "state": cr.state.value,
        "requester": cr.requester,
        "revision": cr.revision,
        "version": cr.version,
        "family": content.family,
        "action": content.action,
        "target": content.target,
        "risk": content.risk.value,
        "labels": list(cr.metadata.labels),
        "ticket": cr.metadata.ticket,
        "ticket_url": ticket_url_of(cr, ticket_url),
        "scheduled_for": _time(content.scheduled_for),
        "created_at": _time(cr.created_at),
        "submitted_at": _time(cr.submitted_at),
        "approved_at": _time(cr.approved_at),
        "active_stage": _active(cr),
        "workflow": cr.workflow.name if cr.workflow else None,
    }


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def audit_json(row: AuditRow) -> dict[str, Any]:
    """An audit row as `changegate audit export` writes it: re-verifiable elsewhere."""
    return {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash,
            "record": dict(row.record)}
