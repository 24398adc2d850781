"""Modals: propose a change, approve or withdraw with an optional comment, reject with a reason,
comment, and the short progress/result views."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import (
    Block,
    context,
    datetime_input,
    modal,
    section,
    select_input,
    text_input,
)
from bot.slack.rendering.labels import CONFIRMED_RISKS
from bot.slack.rendering.mrkdwn import clip, escape
from workflow.model import ChangeRequest, Risk
from workflow.rules_dry_run import short
from workflow.seen import Seen

View = dict[str, Any]
TITLE_MAX = 150
LONG_TEXT_MAX = 3000
SHORT_TEXT_MAX = 200
TICKET_EXAMPLE = "e.g. RFC-3192"  # never CHG-n: that is how ChangeGate names its own changes
REFUSED_BLOCK = "cg_refused"  # the message a form shown again after a refusal leads with
VIEW_KEYS = ("type", "title", "submit", "close", "callback_id", "private_metadata",
             "clear_on_close", "notify_on_close")  # what of a submitted view is shown again
INITIAL_KEYS = ("initial_value", "initial_option", "initial_options", "initial_date_time")
TYPED_ELEMENTS = ("plain_text_input", "static_select", "checkboxes", "datetimepicker")
RISKS = [(r.value, r.value.capitalize()) for r in Risk]


@dataclass(frozen=True, slots=True)
class ProposalForm:
    """The proposal modal's fields as typed; also used to show the form again after a refusal."""

    title: str = ""
    description: str = ""
    family: str = ""
    action: str = ""
    target: str = ""
    risk: str = ""
    payload: str = ""
    rollback_plan: str = ""
    ticket: str = ""
    schedule: int | None = None


def proposal_modal(
    form: ProposalForm | None = None, *, origin: str = "", problem: str | None = None
) -> View:
    """The /change new form; `origin` (the channel it was opened from) rides in private_metadata."""
    return modal("Propose a change", proposal_blocks(form or ProposalForm(), problem),
                 callback_id=ids.PROPOSE_VIEW, submit="Submit", close="Cancel",
                 private_metadata=json.dumps({"origin": origin}))


def proposal_blocks(f: ProposalForm, problem: str | None = None) -> list[Block]:
    """The fields of a change, filled with `f`: the propose form and the edit form share them."""
    blocks = [section(f":warning: {escape(problem)}")] if problem else []
    blocks += [
        text_input("title", "Title", initial=f.title, max_length=TITLE_MAX,
                   placeholder="e.g. Add BGP session to AS65001 on edge-1"),
        text_input("description", "Description", initial=f.description, multiline=True,
                   optional=True, max_length=LONG_TEXT_MAX),
        text_input("family", "Family", initial=f.family, max_length=SHORT_TEXT_MAX,
                   placeholder="e.g. bgp", hint="What kind of change: bgp, dns.zone, firewall…"),
        text_input("action", "Action", initial=f.action, max_length=SHORT_TEXT_MAX,
                   placeholder="e.g. add", hint="add, update, delete, push, reload…"),
        text_input("target", "Target", initial=f.target, max_length=SHORT_TEXT_MAX,
                   placeholder="e.g. edge-1", hint="Device, zone or tenant the change touches"),
        select_input("risk", "Risk", RISKS, initial=f.risk or None),
        text_input("payload", "Payload", initial=f.payload, multiline=True,
                   max_length=LONG_TEXT_MAX, hint="The change itself: commands, JSON or a diff"),
        text_input("rollback_plan", "Rollback plan", initial=f.rollback_plan, multiline=True,
                   max_length=LONG_TEXT_MAX, hint="How to undo it if it goes wrong"),
        text_input("ticket", "Change ticket", initial=f.ticket, optional=True,
                   max_length=SHORT_TEXT_MAX, placeholder=TICKET_EXAMPLE,
                   hint="Its id in your change or ticket system, if it has one"),
        datetime_input("schedule", "Schedule", initial=f.schedule,
                       hint="Leave empty to apply as soon as it is approved"),
    ]
    return blocks


@dataclass(frozen=True, slots=True)
class Clicked:
    """The card message a form was opened from, and the response_url Slack gave that click:
    the card can show the person's decision through it at once, without chat.update's budget."""

    channel: str
    ts: str
    response_url: str

    def as_json(self) -> dict[str, str]:
        return {"channel": self.channel, "ts": self.ts, "response_url": self.response_url}

    def as_reply(self) -> str:
        """Where a form's decision is answered, as its gesture carries it to the commit."""
        return json.dumps(self.as_json(), sort_keys=True)

    @classmethod
    def from_reply(cls, reply: str) -> Clicked | None:
        """The card a committed gesture asks to be answered on (None: not a card's)."""
        try:
            card = json.loads(reply)
            return cls(str(card["channel"]), str(card["ts"]), str(card["response_url"]))
        except (ValueError, TypeError, KeyError):
            return None


def reject_modal(cr: ChangeRequest, origin: str, seen: Seen,
                 clicked: Clicked | None = None) -> View:
    """Reject with a required reason; the change, and the revision and digest the rejecter saw,
    ride in private_metadata."""
    blocks = [
        section(f"Rejecting *{cr.id}* · {escape(clip(cr.metadata.title, 200))} "
                f"(revision {cr.revision})"),
        text_input(ids.REASON_BLOCK, "Reason", multiline=True, max_length=LONG_TEXT_MAX,
                   placeholder="What must change before you would approve it?"),
        context("The requester is told your reason; one rejection rejects the change."),
    ]
    return modal(f"Reject {cr.id}", blocks, callback_id=ids.REJECT_VIEW, submit="Reject",
                 close="Cancel", private_metadata=_metadata(cr, origin, seen, clicked))


def approve_modal(cr: ChangeRequest, origin: str, seen: Seen, now: datetime,
                  clicked: Clicked | None = None) -> View:
    """Approve with an optional comment; what the approver saw rides in private_metadata, so
    the approval stays bound to it; a stale or missing dry-run is said before they submit."""
    risk = f" · *{cr.content.risk.value} risk*" if cr.content.risk in CONFIRMED_RISKS else ""
    blocks = [
        section(f"Approving revision {cr.revision} of *{cr.id}* · "
                f"{escape(clip(cr.metadata.title, 200))}{risk}"),
        text_input(ids.COMMENT_BLOCK, "Comment", multiline=True, optional=True,
                   max_length=LONG_TEXT_MAX, placeholder="e.g. checked the neighbor's AS"),
    ]
    blocks.append(context(_dry_run_note(cr, now)))
    return modal(f"Approve {cr.id}", blocks, callback_id=ids.APPROVE_VIEW, submit="Approve",
                 close="Cancel", private_metadata=_metadata(cr, origin, seen, clicked))


def _dry_run_note(cr: ChangeRequest, now: datetime) -> str:
    """The dry-run being approved, or why approving now would be refused for it."""
    if cr.dry_run is None:
        return ":warning: There is no dry-run yet: the approval is refused until one runs."
    ttl = cr.workflow.timing.dry_run_ttl if cr.workflow else None
    if ttl is not None and not cr.dry_run.is_fresh(now, ttl):
        return (f":warning: The dry-run `{short(cr.dry_run.digest)}` is stale: the approval is "
                "refused until it is re-run (press *Re-run dry-run* on the card).")
    return f"You approve on dry-run `{short(cr.dry_run.digest)}`."


def withdraw_modal(cr: ChangeRequest, origin: str = "", clicked: Clicked | None = None
                   ) -> View:
    """Take back an approval, optionally saying why; the thread and the history show it."""
    blocks = [
        section(f"Withdrawing your approval of *{cr.id}* · "
                f"{escape(clip(cr.metadata.title, 200))}"),
        text_input(ids.COMMENT_BLOCK, "Comment", multiline=True, optional=True,
                   max_length=LONG_TEXT_MAX, placeholder="e.g. the maintenance window moved"),
        context("The change needs another approval in your place."),
    ]
    return modal("Withdraw approval", blocks, callback_id=ids.WITHDRAW_VIEW, submit="Withdraw",
                 close="Cancel", private_metadata=_metadata(cr, origin, clicked=clicked))


def comment_modal(cr: ChangeRequest, origin: str = "", *, text: str = "",
                  problem: str | None = None) -> View:
    """A note on the change; it never counts as a response. `text` fills it in, and `problem`
    (mrkdwn) leads it: a refused decision's comment offered to be posted instead."""
    blocks = [section(problem, block_id=REFUSED_BLOCK)] if problem else []
    blocks += [
        section(f"Comment on *{cr.id}* · {escape(clip(cr.metadata.title, 200))}"),
        text_input(ids.COMMENT_BLOCK, "Comment", multiline=True, max_length=LONG_TEXT_MAX,
                   initial=text),
        context("Comments are posted in the card's thread and never count as approvals."),
    ]
    return modal(f"Comment on {cr.id}", blocks, callback_id=ids.COMMENT_VIEW, submit="Post",
                 close="Cancel", private_metadata=_metadata(cr, origin))


OUTCOMES = [("applied", "It was applied"), ("failed", "It failed or was not applied")]


def resolve_modal(cr: ChangeRequest, origin: str = "") -> View:
    """Settle an apply whose outcome is unknown: what happened, and how the person knows."""
    blocks = [
        section(f"Settling the apply of *{cr.id}* · {escape(clip(cr.metadata.title, 200))} "
                f"on {escape(clip(cr.content.target, 150))}"),
        select_input(ids.OUTCOME_BLOCK, "What happened on the target", OUTCOMES),
        text_input(ids.NOTE_BLOCK, "How you know", multiline=True, max_length=LONG_TEXT_MAX,
                   placeholder="e.g. checked the running config on edge-1: the neighbor is up"),
        context("ChangeGate never applies it again by itself; your note goes in the audit log."),
    ]
    return modal(f"Settle {cr.id}", blocks, callback_id=ids.RESOLVE_VIEW, submit="Record",
                 close="Cancel", private_metadata=_metadata(cr, origin))


def notice_modal(title: str, text: str) -> View:
    """A read-only view: "Submitting…" while work runs, then the outcome."""
    return modal(title, [section(text)], close="Close")


def refilled(view: View, values: Mapping[str, Mapping[str, Any]], message: str) -> View:
    """The submitted form shown again as it was typed (`values`: its view.state.values), led by
    `message` (mrkdwn): what a refusal that no single field explains answers, so that nothing
    typed is lost, as Slack keeps a form answered with field errors. A message from an earlier
    refusal is replaced."""
    blocks: list[Block] = [section(message, block_id=REFUSED_BLOCK)]
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") != REFUSED_BLOCK:
            blocks.append(_as_typed(block, values.get(str(block.get("block_id", ""))) or {}))
    shown: View = {key: view[key] for key in VIEW_KEYS if view.get(key) is not None}
    return {**shown, "type": "modal", "blocks": blocks}


def _as_typed(block: Block, state: Mapping[str, Any]) -> Block:
    """An input block whose element starts with what was typed into it (cleared, if it was)."""
    element = block.get("element")
    if block.get("type") != "input" or not isinstance(element, dict):
        return block
    typed = state.get(str(element.get("action_id", "")))
    if not isinstance(typed, Mapping) or element.get("type") not in TYPED_ELEMENTS:
        return block  # not in the submission, or not one of ours: shown as it was
    kept = {key: value for key, value in element.items() if key not in INITIAL_KEYS}
    options = {str(o.get("value")): o for o in element.get("options") or []
               if isinstance(o, dict)}
    kind = element.get("type")
    picked = typed.get("selected_option")
    ticked = [options[str(o.get("value"))] for o in typed.get("selected_options") or []
              if isinstance(o, dict) and str(o.get("value")) in options]
    if kind == "plain_text_input" and isinstance(typed.get("value"), str) and typed["value"]:
        kept["initial_value"] = typed["value"]
    elif kind == "static_select" and isinstance(picked, dict) and str(
            picked.get("value")) in options:
        kept["initial_option"] = options[str(picked.get("value"))]
    elif kind == "checkboxes" and ticked:
        kept["initial_options"] = ticked
    elif kind == "datetimepicker" and isinstance(typed.get("selected_date_time"), int):
        kept["initial_date_time"] = typed["selected_date_time"]
    return {**block, "element": kept}


def _metadata(cr: ChangeRequest, origin: str, seen: Seen | None = None,
              clicked: Clicked | None = None) -> str:
    meta: dict[str, object] = {"change": cr.id, "revision": cr.revision, "origin": origin}
    if seen is not None:
        meta.update(revision=seen.revision, digest=seen.digest)
    if clicked is not None:
        meta["card"] = clicked.as_json()
    return json.dumps(meta)
