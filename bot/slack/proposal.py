"""Reading the proposal modal: typed values, per-field errors for Slack, then the domain values."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.modals import ProposalForm
from bot.slack.payload import Json, chosen, moment, typed
from workflow.model import Content, Metadata, Risk
from workflow.time_range import TIME_RANGE, from_timestamp

REQUIRED = ("title", "family", "action", "target", "payload")
LABELS = {"title": "a title", "family": "a family", "action": "an action", "target": "a target",
          "payload": "the payload"}


def read_form(view: Json) -> ProposalForm:
    """The submitted state of the proposal modal; missing fields read as empty, fields of the
    wrong type are a MalformedPayload."""
    return ProposalForm(
        title=typed(view, "title"),
        description=typed(view, "description"),
        family=typed(view, "family"),
        action=typed(view, "action"),
        target=typed(view, "target"),
        risk=chosen(view, "risk"),
        payload=typed(view, "payload"),
        rollback_plan=typed(view, "rollback_plan"),
        ticket=typed(view, "ticket"),
        schedule=moment(view, "schedule"),
    )


def form_errors(form: ProposalForm, now: datetime) -> dict[str, str]:
    """Problems keyed by block id, as `response_action: errors` shows them under each field."""
    errors = {
        block: f"Give {LABELS[block]}." for block in REQUIRED if not getattr(form, block)
    }
    if form.risk not in {r.value for r in Risk}:
        errors["risk"] = "Choose a risk level."
    if form.schedule is not None:
        if form.schedule <= now.timestamp():
            errors["schedule"] = "Pick a time in the future, or leave it empty."
        elif from_timestamp(form.schedule) is None:
            errors["schedule"] = f"Pick a time {TIME_RANGE}, or leave it empty."
    return errors


def to_domain(form: ProposalForm) -> tuple[Content, Metadata]:
    """Content (makes revisions) and metadata (does not) of a valid form."""
    scheduled = datetime.fromtimestamp(form.schedule, UTC) if form.schedule is not None else None
    content = Content(
        family=form.family,
        action=form.action,
        target=form.target,
        risk=Risk(form.risk),
        payload=form.payload,
        rollback_plan=form.rollback_plan,
        scheduled_for=scheduled,
    )
    return content, Metadata(form.title, form.description, form.ticket)
