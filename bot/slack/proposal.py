"""Reading the proposal modal: typed values, per-field errors for Slack, then the domain values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.slack.modals import ProposalForm
from workflow.model import Content, Metadata, Risk

REQUIRED = ("title", "family", "action", "target", "payload")
LABELS = {"title": "a title", "family": "a family", "action": "an action", "target": "a target",
          "payload": "the payload"}


def read_form(values: Mapping[str, Any]) -> ProposalForm:
    """The submitted state of the proposal modal; missing fields read as empty."""

    def text(block: str) -> str:
        value = _element(values, block).get("value")
        return value.strip() if isinstance(value, str) else ""

    risk = _element(values, "risk").get("selected_option") or {}
    schedule = _element(values, "schedule").get("selected_date_time")
    return ProposalForm(
        title=text("title"),
        description=text("description"),
        family=text("family"),
        action=text("action"),
        target=text("target"),
        risk=str(risk.get("value", "")) if isinstance(risk, dict) else "",
        payload=text("payload"),
        rollback_plan=text("rollback_plan"),
        ticket=text("ticket"),
        schedule=schedule if isinstance(schedule, int) and not isinstance(schedule, bool) else None,
    )


def _element(values: Mapping[str, Any], block: str) -> dict[str, Any]:
    elements = values.get(block)
    if not isinstance(elements, dict):
        return {}
    element = elements.get("value")
    return element if isinstance(element, dict) else {}


def form_errors(form: ProposalForm, now: datetime) -> dict[str, str]:
    """Problems keyed by block id, as `response_action: errors` shows them under each field."""
    errors = {
        block: f"Give {LABELS[block]}." for block in REQUIRED if not getattr(form, block)
    }
    if form.risk not in {r.value for r in Risk}:
        errors["risk"] = "Choose a risk level."
    if form.schedule is not None and form.schedule <= now.timestamp():
        errors["schedule"] = "Pick a time in the future, or leave it empty."
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
