"""Parts of a change card: stage progress, dry-run summary, outcome line and the buttons."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import Block, button, confirm
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.mrkdwn import ago, clip, code_block, date, duration, escape, people, person
from storage.ports.cards import Audience
from workflow.model import (
    ApplyMode,
    ChangeRequest,
    DryRun,
    DryRunRule,
    DryRunSource,
    Response,
    State,
    Timing,
    Verdict,
)
from workflow.progress import RequirementProgress, StageProgress, active_stage, all_progress
from workflow.rules_copy import COPYABLE
from workflow.rules_post_review import REVIEWABLE as APPLY_ENDED
from workflow.rules_post_review import needs_review
from workflow.seen import Seen
from workflow.ticket_links import ticket_link
from workflow.timing import schedule_missed

Order = Mapping[str, tuple[datetime, str]]
LAST = datetime.max.replace(tzinfo=UTC)
EXCERPT_LINES = 8
EXCERPT_CHARS = 600
LISTED_APPROVERS = 10
REVIEWABLE = frozenset({State.PENDING_REVIEW})
OPEN = frozenset({State.PENDING_REVIEW, State.APPROVED, State.SCHEDULED})
EDITABLE = frozenset({State.DRAFT, State.REJECTED, State.EXPIRED})  # the engine takes more
TICKET_CHARS = 300
TICKET_LINK_CHARS = 1900  # link and label together, within a card field's 2000


def progress_lines(cr: ChangeRequest, available: Mapping[str, int] | None) -> list[str]:
    """One line per stage, e.g. "Stage 1 of 2 · Senior review · 1 of 2: <@n1>"."""
    stages = all_progress(cr)
    active = active_stage(cr) if cr.state is State.PENDING_REVIEW else None
    order = {r.person: (r.at, r.person) for r in cr.live_responses()}
    lines = []
    for progress in stages:
        mark = ":white_check_mark:" if progress.met else (
            ":hourglass_flowing_sand:" if progress.index == active else ":white_small_square:"
        )
        line = f"{mark} {stage_title(progress, len(stages))} · {_requirements(progress, order)}"
        if progress.index == active and available is not None:
            short = unmet_groups(progress, available)
            if short:
                line += f" · :warning: *cannot currently be met*: {', '.join(short)}"
        lines.append(line)
    return lines


def stage_title(progress: StageProgress, total: int) -> str:
    """ "Stage 1 of 2 · Senior review", or without the name when the policy gave none."""
    title = f"Stage {progress.index + 1} of {total}"
    return f"{title} · {escape(progress.stage.name)}" if progress.stage.name else title


def _requirements(progress: StageProgress, order: Order) -> str:
    single = len(progress.requirements) == 1
    return " · ".join(_requirement(r, single, order) for r in progress.requirements)


def _requirement(
    req: RequirementProgress, single: bool, order: Order
) -> str:
    """ "1 of 2: <@n1>", approvers in the order they approved; the group named when several."""
    counted = f"{len(req.approvers)} of {req.requirement.count}"
    if not single:
        counted = f"{escape(req.requirement.group)} {counted}"
    if req.approvers:
        approvers = sorted(req.approvers, key=lambda p: order.get(p, (LAST, p)))
        counted += ": " + people(approvers, LISTED_APPROVERS)
    return counted


def unmet_groups(progress: StageProgress, available: Mapping[str, int]) -> list[str]:
    """Groups of the stage that lack enough possible approvers; groups not in `available` are
    unknown (a lookup failed) and never flagged."""
    short = []
    for req in progress.requirements:
        missing = req.requirement.count - len(req.approvers)
        can = available.get(req.requirement.group)
        if missing <= 0 or can is None:
            continue
        if can < missing:
            short.append(
                f"{escape(req.requirement.group)} has {can} eligible "
                f"{'person' if can == 1 else 'people'} left, {missing} needed"
            )
    return short


def produced(dry_run: DryRun) -> str:
    """Who produced a dry-run: approvers weigh an executor's output and a reported one apart."""
    if dry_run.source is DryRunSource.EXECUTOR:
        return f"from the executor (run by {person(dry_run.producer)})"
    return f"reported by {person(dry_run.producer)}"


def no_dry_run_hint(cr: ChangeRequest) -> str:
    """What gets the change a dry-run its workflow accepts: its executor (the button, or the
    command line without a file), reported output, or either; a draft's workflow is not
    chosen yet, so both are offered with when each works."""
    run = f"press *Run dry-run* (or `changegate dry-run {cr.id}`)"
    report = f"report the output (`changegate dry-run {cr.id} --file out.txt`, or the API)"
    workflow = cr.workflow
    if workflow is None:
        return f"{run} if an executor is bound to its family, else {report}"
    if workflow.dry_run is DryRunRule.REPORTED:
        return f"{report}; its workflow takes no executor's dry-run"
    if workflow.runs_own_executor:
        named = f" {escape(workflow.executor)}" if workflow.executor else ""
        if workflow.dry_run is DryRunRule.EXECUTOR:
            return f"{run}: only its executor{named} may produce it"
        return f"{run}, or {report}"
    if workflow.dry_run is DryRunRule.EXECUTOR:
        return ("its workflow takes only an executor's dry-run and none is bound to it: "
                "edit it into a new revision once the policy binds one")
    return f"{report}; no executor is bound to its family"


def dry_run_text(cr: ChangeRequest, ctx: CardContext) -> str:
    """Digest prefix, producer, age and, until the change is settled, expiry (date tokens),
    plus the first lines of output."""
    dry_run = cr.dry_run
    if dry_run is None:
        return "*Dry-run*: _none was taken_" if cr.is_terminal else (
            f":warning: *No dry-run yet.* Approvals need one: {no_dry_run_hint(cr)}."
        )
    ttl = (cr.workflow.timing if cr.workflow else Timing()).dry_run_ttl
    valid_until = dry_run.taken_at + ttl
    stale = not cr.is_terminal and not dry_run.is_fresh(ctx.now, ttl)
    head = ":warning: *Dry-run (stale)*" if stale else "*Dry-run*"
    lines = [f"{head} `sha256:{dry_run.digest[:12]}` {produced(dry_run)}, "
             f"taken {ago(dry_run.taken_at)}"]
    if not cr.is_terminal:  # how long it stays valid matters only while it can be used
        lines.append(f"{'Expired' if stale else 'Valid until'} {date(valid_until)} "
                     f"(valid for {duration(ttl)})")
    excerpt = "\n".join(dry_run.output.splitlines()[:EXCERPT_LINES])
    if excerpt:
        more = len(dry_run.output) > len(excerpt)
        lines.append(code_block(clip(excerpt, EXCERPT_CHARS) + ("\n…" if more else "")))
    return "\n".join(lines)


def outcome_text(cr: ChangeRequest, ctx: CardContext) -> str | None:
    """Who decided and when, for every state past review; None while still in review."""
    settled = ctx.settled
    when = f" {date(settled.at)}" if settled else ""
    state = cr.state
    if state in (State.APPROVED, State.SCHEDULED):
        text = f"Approved {date(cr.approved_at) if cr.approved_at else ''}".rstrip()
        approvers = sorted({r.person for r in cr.live_responses() if r.verdict is Verdict.APPROVE})
        if approvers:
            text += f" by {people(approvers, LISTED_APPROVERS)}"
        if cr.content.scheduled_for and schedule_missed(cr, ctx.now):
            text += (f"; its schedule {date(cr.content.scheduled_for)} passed beyond its "
                     "late-apply grace, so it will not be applied: edit it with a new schedule "
                     f"(`/change edit {cr.id}`)")
        elif state is State.SCHEDULED and cr.apply_at:
            text += f"; applies {date(cr.apply_at)}"
        elif cr.workflow and cr.workflow.apply_mode is ApplyMode.MANUAL:
            text += f"; apply it with *Apply* or `/change apply {cr.id}`"
        return text
    if state is State.REJECTED:
        rejection = last_rejection(cr)
        if rejection is None:
            return f"Rejected{when}"
        return (f"Rejected by {person(rejection.person)} {date(rejection.at)}:\n"
                f"> {escape(clip(rejection.comment, 1500))}")
    if state is State.CANCELLED:
        return f"Withdrawn by {person(cr.requester)}{when}"
    if state is State.EXPIRED:
        return f"Expired{when}: no decision before the approval timeout"
    if state is State.DRAFT:
        return None if settled is None or settled.kind != "returned_to_draft" else (
            f"Back to draft{when}: the approval timed out; edit and submit it again"
        )
    return _apply_text(cr)


def _apply_text(cr: ChangeRequest) -> str | None:
    attempt = cr.apply
    if attempt is None:
        return None
    started = f"apply started by {person(attempt.started_by)} {date(attempt.started_at)}"
    if attempt.abort_requested_by:
        started += (f"; abort asked by {person(attempt.abort_requested_by)}: "
                    f"{escape(clip(attempt.abort_reason, 300))}")
    if cr.state is State.EXECUTING:
        return started[0].upper() + started[1:]  # capitalize() would lowercase the mentions
    finished = f", finished {date(attempt.finished_at)}" if attempt.finished_at else ""
    resolved = f", settled by {person(attempt.resolved_by)}" if attempt.resolved_by else ""
    if cr.state is State.APPLY_UNKNOWN:
        return (f"Outcome unknown: {started}. A person must mark it applied or failed; "
                "it is never retried blindly")
    outcome = "Failed (aborted)" if attempt.aborted else cr.state.value.capitalize()
    text = f"{outcome}: {started}{finished}{resolved}"
    if attempt.output:  # what the apply printed, whether it succeeded or failed
        text += "\n" + code_block(clip(attempt.output, EXCERPT_CHARS))
    return text


def last_rejection(cr: ChangeRequest) -> Response | None:
    """The rejection that rejected the current revision, if any."""
    rejections = [r for r in cr.live_responses() if r.verdict is Verdict.REJECT]
    return rejections[-1] if rejections else None


def buttons(cr: ChangeRequest, audience: Audience, now: datetime) -> list[Block]:
    """The buttons that can do something in the change's state at `now`; once it is settled,
    only recording its review, revising it and copying it as new, where those apply."""
    value = ids.button_value(cr.id, Seen.of(cr))
    if cr.state is State.EXECUTING:
        abort = [] if cr.apply and cr.apply.abort_requested_by else [
            button("Abort", ids.ABORT, value, style="danger")]  # opens a form asking why
        return [*abort, button("View dry-run", ids.VIEW_DRY_RUN, value)]
    if cr.state is State.APPLY_UNKNOWN:
        return [button("Mark applied or failed", ids.RESOLVE, value, style="primary"),
                button("View dry-run", ids.VIEW_DRY_RUN, value)]
    if cr.state in APPLY_ENDED:
        review = button("Record review", ids.POST_REVIEW, value,
                        style="primary" if needs_review(cr) else None)
        return [review, *_copy(cr, value)]
    if cr.state in EDITABLE:
        return _revise(cr, value) + _copy(cr, value)
    if cr.state not in OPEN:
        return _copy(cr, value)
    row: list[Block] = []
    if cr.state is State.PENDING_REVIEW and audience is not Audience.REQUESTER:
        row.append(button("Approve", ids.APPROVE, value, style="primary"))  # opens a form
        row.append(button("Reject", ids.REJECT, value, style="danger"))
    if can_apply(cr, now):
        row.append(_apply(cr, value))
    if audience is not Audience.REQUESTER and cr.workflow and cr.workflow.stages:  # else none
        row.append(button("Withdraw my approval", ids.WITHDRAW_APPROVAL, value))
    else:
        row.append(button("Withdraw request", ids.WITHDRAW_REQUEST, value, style="danger",
                          confirmation=confirm(f"Withdraw {cr.id}?",
                                               "The change is cancelled for good.", "Withdraw")))
    row.append(button("Re-run dry-run" if cr.dry_run else "Run dry-run", ids.RERUN_DRY_RUN,
                      value))
    row.append(button("View dry-run", ids.VIEW_DRY_RUN, value))
    row.append(button("Comment", ids.COMMENT, value))
    return row


def ticket_text(ticket: str, template: str | None, limit: int = TICKET_CHARS) -> str:
    """The ticket as a link where the policy gives a `ticket_url` template, else as code; the
    ticket is percent-encoded in the link (it cannot change where the link leads) and escaped
    in its text (it cannot mention anyone or make a link of its own)."""
    shown = ticket.strip()
    if not shown:
        return "_none_"
    label = escape(clip(shown, limit))
    link = ticket_link(template, shown)
    target = escape(link) if link is not None else ""
    if not target or len(target) + len(label) > TICKET_LINK_CHARS:  # never clipped mid-link
        return f"`{label}`"
    return f"<{target}|{label}>"


def can_apply(cr: ChangeRequest, now: datetime) -> bool:
    """Apply is offered only where a person may start it: approved, applied by hand, and not
    past its schedule's late-apply grace (the engine refuses that apply to anyone)."""
    return (cr.state is State.APPROVED and cr.workflow is not None
            and cr.workflow.apply_mode is ApplyMode.MANUAL and not schedule_missed(cr, now))


def _revise(cr: ChangeRequest, value: str) -> list[Block]:
    """Edit a draft, rejected or expired change (the engine says who may); a draft is then
    checked and submitted from the card."""
    row = [button("Edit", ids.EDIT, value, style=None if cr.state is State.DRAFT else "primary")]
    if cr.state is State.DRAFT:
        row += [button("Submit", ids.SUBMIT, value, style="primary"),
                button("Re-run dry-run" if cr.dry_run else "Run dry-run", ids.RERUN_DRY_RUN,
                       value),
                button("View dry-run", ids.VIEW_DRY_RUN, value),
                button("Withdraw request", ids.WITHDRAW_REQUEST, value, style="danger",
                       confirmation=confirm(f"Withdraw {cr.id}?",
                                            "The change is cancelled for good.", "Withdraw"))]
    return row


def apply_button(cr: ChangeRequest) -> Block:
    """The card's Apply button, with its confirmation, bound to the revision and dry-run the
    change has now: `/change apply` answers with it, so both ask the same before applying."""
    return _apply(cr, ids.button_value(cr.id, Seen.of(cr)))


def _copy(cr: ChangeRequest, value: str) -> list[Block]:
    """Copy as new, where the engine takes it (workflow.rules_copy): a new draft with this
    change's content, which the clicker then edits or submits."""
    if cr.state not in COPYABLE:
        return []
    return [button("Copy as new", ids.COPY, value)]


def _apply(cr: ChangeRequest, value: str) -> Block:
    return button(
        "Apply", ids.APPLY, value, style="primary",
        confirmation=confirm(f"Apply {cr.id} now?",
                             f"Runs the approved revision {cr.revision} on "
                             f"{escape(clip(cr.content.target, 150))}.", "Apply"),
    )
