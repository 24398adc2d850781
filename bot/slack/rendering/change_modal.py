"""The whole change in a modal: payload, rollback plan, dry-run output, the diff against the
previous revision and the review history of every revision, paged, never cut."""

from __future__ import annotations

import difflib
from typing import Any

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import Block, context, section
from bot.slack.rendering.labels import state_label
from bot.slack.rendering.mrkdwn import date, escape, person
from bot.slack.rendering.pager import code_sections, paged_modal, text_sections
from workflow.model import ChangeRequest, Content, Verdict

PREVIOUS = f"{ids.CHANGE_PAGE}_prev"
NEXT = f"{ids.CHANGE_PAGE}_next"


def change_modal(cr: ChangeRequest, page: int = 1) -> dict[str, Any]:
    """Page `page` (from 1) of everything about the change, with previous/next when long."""
    head = [context(f"Revision {cr.revision} · {state_label(cr.state)} · requested by "
                    f"{person(cr.requester)}")]
    body = [
        *_text("Payload", cr.content.payload),
        *_text("Rollback plan", cr.content.rollback_plan),
        *_dry_run(cr),
        *_apply_output(cr),
        *_diff(cr),
        section("*Review history*"),
        *text_sections(history(cr)),
    ]
    return paged_modal(f"Change {cr.id}", head, body, page, ids.CHANGE_PAGE, cr.id)


def _text(title: str, text: str) -> list[Block]:
    if not text.strip():
        return [section(f"*{title}*\n_none given_")]
    lines, chars = len(text.splitlines()), len(text)
    size = (f"{lines:,} line{'s' * (lines != 1)}, {chars:,} character{'s' * (chars != 1)}")
    return [section(f"*{title}* · {size}"), *code_sections(text)]


def _dry_run(cr: ChangeRequest) -> list[Block]:
    if cr.dry_run is None:
        return [section(f"*Dry-run*\n_none yet for revision {cr.revision}_")]
    return _text(f"Dry-run `sha256:{cr.dry_run.digest[:12]}` by {person(cr.dry_run.producer)}",
                 cr.dry_run.output)


def _apply_output(cr: ChangeRequest) -> list[Block]:
    """What the apply printed once it ended, whether it went through or failed."""
    attempt = cr.apply
    if attempt is None or attempt.status is None or not attempt.output.strip():
        return []
    outcome = "failed (aborted)" if attempt.aborted else attempt.status.value
    return _text(f"Apply output ({outcome}, revision {attempt.revision})", attempt.output)


def _diff(cr: ChangeRequest) -> list[Block]:
    title = f"Changes from revision {cr.revision - 1} to {cr.revision}"
    if len(cr.revisions) < 2:
        return [section(f"*Changes from the previous revision*\n_revision {cr.revision} is the "
                        "first_")]
    before, after = cr.revisions[-2], cr.revisions[-1]
    lines = difflib.unified_diff(_as_lines(before.content), _as_lines(after.content),
                                 f"revision {before.number}", f"revision {after.number}",
                                 lineterm="")
    diff = "\n".join(lines)
    if not diff:
        return [section(f"*{title}*\n_the content is the same_")]
    return _text(title, diff)


def _as_lines(content: Content) -> list[str]:
    """The content as text lines, so two revisions compare field by field."""
    scheduled = content.scheduled_for.isoformat() if content.scheduled_for else "when approved"
    return [f"family: {content.family}", f"action: {content.action}",
            f"target: {content.target}", f"risk: {content.risk.value}",
            f"scheduled for: {scheduled}", "payload:", *content.payload.splitlines(),
            "rollback plan:", *content.rollback_plan.splitlines()]


def history(cr: ChangeRequest) -> list[str]:
    """Who approved, rejected, withdrew or commented on which revision, when, saying what;
    oldest first."""
    entries: list[tuple[Any, str]] = []
    for r in cr.responses:
        verb = "approved" if r.verdict is Verdict.APPROVE else "rejected"
        entries.append((r.at, f"• r{r.revision} · {person(r.person)} {verb} (stage "
                              f"{r.stage + 1}) {date(r.at)}{_said(r.comment)}"))
        if r.ended == "withdrawn" and r.ended_at is not None:
            entries.append((r.ended_at, f"• r{r.revision} · {person(r.person)} withdrew the "
                                        f"approval {date(r.ended_at)}{_said(r.ended_note)}"))
        elif r.ended and r.ended_at is not None:
            kind = "approval" if r.verdict is Verdict.APPROVE else "rejection"
            entries.append((r.ended_at, f"• r{r.revision} · the {kind} by {person(r.person)} "
                                        f"stopped counting ({r.ended}) {date(r.ended_at)}"))
    for c in cr.comments:
        entries.append((c.at, f"• r{c.revision} · {person(c.person)} commented {date(c.at)}"
                              f"{_said(c.text)}"))
    if not entries:
        return ["_no reviews or comments yet_"]
    return [text for _, text in sorted(entries, key=lambda e: e[0])]


def _said(text: str) -> str:
    return f": {escape(text.strip())}" if text.strip() else ""
