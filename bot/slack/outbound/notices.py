"""Texts of thread replies and requester DMs, one per kind of event worth telling people about."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.slack.rendering.edits import thread_edit_text
from bot.slack.rendering.mrkdwn import clip, date, escape, people, person
from workflow.events import Event, EventKind
from workflow.model import ChangeRequest

QUOTE_CHARS = 1500
POST_CHARS = 3900  # Slack truncates a message's text after 40,000; keep replies readable

# Kinds the requester hears about by DM when someone else caused them.
FOR_REQUESTER = frozenset({
    EventKind.RESPONSE, EventKind.WITHDRAWN, EventKind.COMMENT, EventKind.APPROVED,
    EventKind.SCHEDULED, EventKind.APPROVALS_INVALIDATED, EventKind.RETURNED_TO_REVIEW,
    EventKind.RESCHEDULE_NEEDED, EventKind.EXPIRED, EventKind.RETURNED_TO_DRAFT,
    EventKind.POST_REVIEW_DUE,
    EventKind.APPLY_STARTED, EventKind.APPLIED, EventKind.FAILED, EventKind.APPLY_UNKNOWN,
    EventKind.RESOLVED, EventKind.ABORT_REQUESTED, EventKind.METADATA_EDITED,
})


def _names(value: object) -> list[str]:
    """A list of user ids from event data, whatever JSON shape it arrived in."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _quote(text: object) -> str:
    return "\n".join(f"> {escape(line)}" for line in clip(str(text), QUOTE_CHARS).splitlines())


def _response(e: Event) -> str:
    who = person(e.actor)
    if e.data.get("verdict") == "reject":
        text = f":no_entry: {who} rejected it:\n{_quote(e.data.get('comment', ''))}"
        denial = str(e.data.get("denial_message") or "")
        return f"{text}\n:information_source: {escape(denial)}" if denial else text
    text = f":white_check_mark: {who} approved (stage {e.data.get('stage')})"
    comment = str(e.data.get("comment") or "")
    return f"{text}:\n{_quote(comment)}" if comment else text


def _withdrawn(e: Event) -> str:
    text = (f":leftwards_arrow_with_hook: {person(e.actor)} withdrew their approval "
            f"(stage {e.data.get('stage')})")
    comment = str(e.data.get("comment") or "")
    return f"{text}:\n{_quote(comment)}" if comment else text


def _dry_run(e: Event) -> str:
    digest = f"`sha256:{(e.digest or '')[:12]}`"
    same = " (same output as before)" if e.data.get("same_digest") else ""
    how = ("from the executor, run by" if e.data.get("source") == "executor"
           else "reported by")
    return f":mag: Dry-run {digest} {how} {person(e.actor)}{same}"


def _invalidated(e: Event) -> str:
    names = _names(e.data.get("people"))
    if e.data.get("cause") == "metadata":
        edited = escape(str(e.data.get("reason") or "metadata edited")).capitalize()
        return (f":warning: {edited} after approval: approvals by {people(names)} no longer "
                "count. Review the change and approve again.")
    return (f":warning: The dry-run output changed: approvals by {people(names)} no longer "
            "count. Review the new output and approve again.")


def _apply(kind: str) -> Callable[[Event], str]:
    return lambda e: f"{kind} (by {person(e.actor)})"


TEXTS: Mapping[EventKind, Callable[[Event], str]] = {
    EventKind.RESPONSE: _response,
    EventKind.WITHDRAWN: _withdrawn,
    EventKind.COMMENT: lambda e: f":speech_balloon: {person(e.actor)}:\n{_quote(e.data['text'])}",
    EventKind.DRY_RUN_RECORDED: _dry_run,
    EventKind.APPROVALS_INVALIDATED: _invalidated,
    EventKind.STAGE_APPROVED: lambda e: (f":white_check_mark: Stage {e.data.get('stage')} "
                                         f"approved by {people(_names(e.data.get('approvers')))}"),
    EventKind.APPROVED: lambda e: f":white_check_mark: *Approved* ({e.data.get('reason')})",
    EventKind.SCHEDULED: lambda e: ":calendar: Scheduled to apply at the requested time",
    EventKind.RETURNED_TO_REVIEW: lambda e: (f":arrows_counterclockwise: Back in review: "
                                             f"{e.data.get('reason')}"),
    EventKind.RESCHEDULE_NEEDED: lambda e: (":warning: Approved after its scheduled time had "
                                            "long passed: the requester must reschedule it"),
    EventKind.EXPIRED: lambda e: ":hourglass: *Expired*: no decision before the approval timeout",
    EventKind.RETURNED_TO_DRAFT: lambda e: ":memo: Back to draft: the approval timed out",
    EventKind.CANCELLED: lambda e: f":leftwards_arrow_with_hook: Withdrawn by {person(e.actor)}",
    EventKind.APPLY_STARTED: _apply(":gear: Apply started"),
    EventKind.APPLIED: lambda e: ":white_check_mark: *Applied*",
    EventKind.ABORT_REQUESTED: lambda e: (f":octagonal_sign: {person(e.actor)} asked to abort "
                                          f"the apply:\n{_quote(e.data.get('reason', ''))}"),
    EventKind.FAILED: lambda e: (":x: *Apply aborted*: it failed after the abort; see the card"
                                 if e.data.get("aborted") else
                                 ":x: *Apply failed*: see the card for the output"),
    EventKind.APPLY_UNKNOWN: lambda e: (":warning: *Apply outcome unknown*: a person must mark "
                                        "it applied or failed"),
    EventKind.RESOLVED: lambda e: (f":memo: {person(e.actor)} marked the apply "
                                   f"{e.data.get('status')}:\n{_quote(e.data.get('note', ''))}"),
    EventKind.REVISED: lambda e: f":pencil2: {person(e.actor)} made revision {e.revision}",
    EventKind.METADATA_EDITED: lambda e: thread_edit_text(e.actor, e.data.get("changes")),
    EventKind.POST_REVIEW_DUE: lambda e: (":clipboard: *Post-implementation review due*: the "
                                          "requester records how the change went "
                                          "(`changegate post-review`)"),
    EventKind.POST_REVIEWED: lambda e: (f":clipboard: {person(e.actor)} reviewed how it went: "
                                        f"*{e.data.get('outcome')}*\n"
                                        f"{_quote(e.data.get('note', ''))}"),
}


def thread_text(event: Event) -> str | None:
    """The reply posted under the card for this event, if the event is worth one."""
    text = TEXTS.get(event.kind)
    return text(event) if text else None


def requester_text(event: Event, cr: ChangeRequest) -> str | None:
    """The DM the requester gets for this event, unless they caused it themselves."""
    return requester_digest([event], cr)


def requester_digest(events: Sequence[Event], cr: ChangeRequest) -> str | None:
    """One DM telling the requester of several events of their change at once (those they
    did not cause themselves); None when none is worth a DM."""
    texts = [text for e in events
             if e.kind in FOR_REQUESTER and e.actor != cr.requester
             and (text := thread_text(e)) is not None]
    if not texts:
        return None
    title = escape(clip(cr.metadata.title, 150))
    return f"*{cr.id}* · {title} ({date(events[0].at)}):\n" + "\n".join(texts)


def thread_digest(events: Sequence[Event]) -> list[str]:
    """The replies for several events under one card: their lines joined, a post per
    POST_CHARS at most, so a burst of votes is one reply rather than one each."""
    posts: list[str] = []
    for text in filter(None, map(thread_text, events)):
        if posts and len(posts[-1]) + 1 + len(text) <= POST_CHARS:
            posts[-1] += "\n" + text
        else:
            posts.append(text)
    return posts
