"""Reading the proposal modal: typed values, per-field errors for Slack, then the domain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.slack.inbound.payload import Json, chosen, moment, typed
from bot.slack.rendering.modals import LONG_TEXT_MAX, SHORT_TEXT_MAX, TITLE_MAX, ProposalForm
from workflow.model import ChangeRequest, Content, Metadata, Risk
from workflow.time_range import TIME_RANGE, from_timestamp

REQUIRED = ("title", "family", "action", "target", "payload")
LABELS = {"title": "a title", "family": "a family", "action": "an action", "target": "a target",
          "payload": "the payload"}
FIELD_LIMITS = {"title": TITLE_MAX, "description": LONG_TEXT_MAX, "family": SHORT_TEXT_MAX,
                "action": SHORT_TEXT_MAX, "target": SHORT_TEXT_MAX, "payload": LONG_TEXT_MAX,
                "rollback_plan": LONG_TEXT_MAX, "ticket": SHORT_TEXT_MAX}


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


def form_of(cr: ChangeRequest) -> ProposalForm:
    """The current revision as the form shows it, to edit it."""
    c, m = cr.content, cr.metadata
    schedule = int(c.scheduled_for.timestamp()) if c.scheduled_for else None
    return ProposalForm(title=m.title, description=m.description, family=c.family,
                        action=c.action, target=c.target, risk=c.risk.value, payload=c.payload,
                        rollback_plan=c.rollback_plan, ticket=m.ticket, schedule=schedule)


def too_long(cr: ChangeRequest) -> str | None:
    """The first field of the change longer than the form can hold, if any: Slack would refuse
    to open a form prefilled with it, and a shortened copy would change it on save."""
    form = form_of(cr)
    for name, limit in FIELD_LIMITS.items():
        if len(getattr(form, name)) > limit:
            return name
    return None


def edited(cr: ChangeRequest, form: ProposalForm) -> tuple[Content, Metadata]:
    """Content and metadata after an edit form. A field that reads as it was shown (the form
    trims what is typed; its schedule has whole seconds) keeps its current value, and fields
    the form does not show (labels) are kept, so an unchanged form changes nothing."""
    shown = form_of(cr)
    kept = {name: getattr(shown, name) for name in FIELD_LIMITS
            if getattr(form, name) == getattr(shown, name).strip()}
    content, metadata = to_domain(replace(form, **kept))
    if shown.schedule == form.schedule:
        content = replace(content, scheduled_for=cr.content.scheduled_for)
    return content, replace(cr.metadata, title=metadata.title,
                            description=metadata.description, ticket=metadata.ticket)
