"""Plain-JSON codec of the domain values, so adapters store and send them without knowing them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from workflow.events import Event, EventKind
from workflow.executor_spec import CommandSpec, ExecutorSpec, ExternalSpec, WebhookSpec
from workflow.model import (
    ApplyAttempt,
    ApplyMode,
    ApplyStatus,
    ChangeRequest,
    Comment,
    Content,
    DryRun,
    DryRunRule,
    DryRunSource,
    Escalation,
    GroupDef,
    Metadata,
    MetadataEdit,
    MetadataEdits,
    Notify,
    OnTimeout,
    Requirement,
    Response,
    Revision,
    Risk,
    Stage,
    State,
    Timing,
    Verdict,
    WorkflowSnapshot,
)
from workflow.post_review import post_review_from_dict, post_review_to_dict

JSON = dict[str, Any]


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _dt(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _pd(value: Any) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def _s(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def event_to_dict(e: Event) -> JSON:
    """An event as JSON; the audit chain hashes exactly this form."""
    return {
        "kind": e.kind.value, "change_id": e.change_id, "actor": e.actor, "at": _t(e.at),
        "revision": e.revision, "digest": e.digest, "policy_version": e.policy_version,
        "since_proposal_s": e.since_proposal_s, "data": dict(e.data),
    }


def event_from_dict(d: JSON) -> Event:
    """Inverse of event_to_dict."""
    return Event(
        kind=EventKind(d["kind"]), change_id=d["change_id"], actor=d["actor"], at=_dt(d["at"]),
        revision=d["revision"], digest=d["digest"], policy_version=d["policy_version"],
        since_proposal_s=d["since_proposal_s"], data=d["data"],
    )


def workflow_to_dict(w: WorkflowSnapshot) -> JSON:
    """The snapshot taken at submit."""
    t = w.timing
    return {
        "name": w.name, "policy_version": w.policy_version, "channel": w.channel,
        "apply_mode": w.apply_mode.value, "executor": w.executor,
        "executor_kind": w.executor_kind, "dry_run": w.dry_run.value,
        "notify": w.notify.value if w.notify else None,
        "groups": [group_to_dict(g) for g in w.group_definitions],
        "executor_spec": spec_to_dict(w.executor_spec),
        "escalation": None if w.escalation is None else {
            "group": w.escalation.group, "after_reminders": w.escalation.after_reminders},
        "stages": [
            {"name": s.name, "require": [{"group": r.group, "count": r.count}
                                         for r in s.requirements],
             "denial_message": s.denial_message}
            for s in w.stages
        ],
        "timing": {
            "dry_run_ttl": _s(t.dry_run_ttl), "approval_timeout": _s(t.approval_timeout),
            "on_timeout": t.on_timeout.value, "reminder_after": _s(t.reminder_after),
            "late_apply_grace": _s(t.late_apply_grace),
            "post_review_due": _s(t.post_review_due),
            "metadata_edits": t.metadata_edits.value,
        },
    }


def workflow_from_dict(d: JSON) -> WorkflowSnapshot:
    """Inverse of workflow_to_dict; keys added later (escalation, executor_kind, dry_run, notify,
    a stage's denial_message) are optional in stored rows: an older row's executor is of unknown
    kind, so only ChangeGate reports its outcome, and it keeps accepting dry-runs from either
    source, as it did; without metadata_edits a retitle resets approvals, the safe side."""
    t, esc = d["timing"], d.get("escalation")
    reminder = t["reminder_after"]
    legacy_kind = None if d["executor"] is None else "unknown"
    return WorkflowSnapshot(
        name=d["name"], policy_version=d["policy_version"], channel=d["channel"],
        apply_mode=ApplyMode(d["apply_mode"]), executor=d["executor"],
        executor_kind=d.get("executor_kind", legacy_kind),
        dry_run=DryRunRule(d.get("dry_run", DryRunRule.EITHER.value)),
        notify=Notify(d["notify"]) if d.get("notify") else None,
        group_definitions=tuple(group_from_dict(g) for g in d.get("groups", ())),
        executor_spec=spec_from_dict(d.get("executor_spec")),
        escalation=None if esc is None else Escalation(esc["group"], esc["after_reminders"]),
        stages=tuple(
            Stage(s["name"], tuple(Requirement(r["group"], r["count"]) for r in s["require"]),
                  s.get("denial_message", ""))
            for s in d["stages"]
        ),
        timing=Timing(
            dry_run_ttl=timedelta(seconds=t["dry_run_ttl"]),
            approval_timeout=timedelta(seconds=t["approval_timeout"]),
            on_timeout=OnTimeout(t["on_timeout"]),
            reminder_after=timedelta(seconds=reminder) if reminder is not None else None,
            late_apply_grace=timedelta(seconds=t["late_apply_grace"]),
            post_review_due=_pd(t.get("post_review_due")),
            metadata_edits=MetadataEdits(t.get("metadata_edits", MetadataEdits.RESET.value)),
        ),
    )


def group_to_dict(g: GroupDef) -> JSON:
    """A group's definition as a change keeps it: its members, or its Slack user group id."""
    members = None if g.members is None else sorted(g.members)
    return {"name": g.name, "members": members, "slack_usergroup": g.slack_usergroup}


def group_from_dict(d: JSON) -> GroupDef:
    """Inverse of group_to_dict."""
    members = d["members"]
    return GroupDef(d["name"], None if members is None else frozenset(members),
                    d["slack_usergroup"])


def spec_to_dict(spec: ExecutorSpec | None) -> JSON | None:
    """An executor's kind and settings as a change keeps them (never a secret: only the name of
    the variable holding it)."""
    if spec is None:
        return None
    if isinstance(spec, WebhookSpec):
        return {"kind": spec.kind, "name": spec.name, "url": spec.url,
                "secret_env": spec.secret_env, "timeout": _s(spec.timeout), "abort": spec.abort}
    if isinstance(spec, CommandSpec):
        return {"kind": spec.kind, "name": spec.name, "argv": list(spec.argv),
                "timeout": _s(spec.timeout), "max_output": spec.max_output,
                "pass_env": list(spec.pass_env)}
    return {"kind": spec.kind, "name": spec.name}


def spec_from_dict(d: JSON | None) -> ExecutorSpec | None:
    """Inverse of spec_to_dict."""
    if d is None:
        return None
    if d["kind"] == "webhook":
        return WebhookSpec(d["name"], d["url"], d["secret_env"],
                           timedelta(seconds=d["timeout"]), d["abort"])
    if d["kind"] == "command":
        return CommandSpec(d["name"], tuple(d["argv"]), timedelta(seconds=d["timeout"]),
                           d["max_output"], tuple(d["pass_env"]))
    return ExternalSpec(d["name"])


def content_to_dict(c: Content) -> JSON:
    """Content fields of a revision."""
    return {"family": c.family, "action": c.action, "target": c.target, "risk": c.risk.value,
            "payload": c.payload, "rollback_plan": c.rollback_plan,
            "scheduled_for": _t(c.scheduled_for)}


def content_from_dict(d: JSON) -> Content:
    """Inverse of content_to_dict."""
    return Content(d["family"], d["action"], d["target"], Risk(d["risk"]), d["payload"],
                   d["rollback_plan"], _pt(d["scheduled_for"]))


def metadata_to_dict(m: Metadata) -> JSON:
    """A change's descriptive fields."""
    return {"title": m.title, "description": m.description, "ticket": m.ticket,
            "labels": list(m.labels)}


def metadata_from_dict(d: JSON) -> Metadata:
    """Inverse of metadata_to_dict."""
    return Metadata(d["title"], d["description"], d["ticket"], tuple(d["labels"]))


def change_to_dict(cr: ChangeRequest) -> JSON:
    """The whole aggregate as JSON."""
    return {
        "id": cr.id, "requester": cr.requester, "state": cr.state.value, "version": cr.version,
        "created_at": _t(cr.created_at), "idempotency_key": cr.idempotency_key,
        "request_hash": cr.request_hash,
        "metadata": metadata_to_dict(cr.metadata),
        "metadata_edit": None if cr.metadata_edit is None else {
            "actor": cr.metadata_edit.actor, "at": _t(cr.metadata_edit.at),
            "before": metadata_to_dict(cr.metadata_edit.before),
            "after": metadata_to_dict(cr.metadata_edit.after),
            "approvals_reset": cr.metadata_edit.approvals_reset},
        "revisions": [{"number": r.number, "author": r.author, "created_at": _t(r.created_at),
                       "content": content_to_dict(r.content)} for r in cr.revisions],
        "dry_run": None if cr.dry_run is None else {
            "revision": cr.dry_run.revision, "output": cr.dry_run.output,
            "digest": cr.dry_run.digest, "taken_at": _t(cr.dry_run.taken_at),
            "producer": cr.dry_run.producer, "source": cr.dry_run.source.value,
            "outputs": cr.dry_run.outputs},
        "responses": [{"person": r.person, "revision": r.revision, "stage": r.stage,
                       "verdict": r.verdict.value, "comment": r.comment, "digest": r.digest,
                       "groups": sorted(r.groups), "at": _t(r.at), "ended": r.ended,
                       "ended_at": _t(r.ended_at), "stand_in": r.stand_in,
                       "ended_note": r.ended_note}
                      for r in cr.responses],
        "comments": [{"person": c.person, "revision": c.revision, "text": c.text,
                      "at": _t(c.at)} for c in cr.comments],
        "workflow": workflow_to_dict(cr.workflow) if cr.workflow else None,
        "submitted_at": _t(cr.submitted_at), "expires_at": _t(cr.expires_at),
        "remind_at": _t(cr.remind_at), "reminders_sent": cr.reminders_sent,
        "reminded_stages": list(cr.reminded_stages),
        "post_review": post_review_to_dict(cr.post_review),
        "approved_at": _t(cr.approved_at), "apply_at": _t(cr.apply_at),
        "apply": None if cr.apply is None else {
            "key": cr.apply.key, "revision": cr.apply.revision, "digest": cr.apply.digest,
            "started_by": cr.apply.started_by, "started_at": _t(cr.apply.started_at),
            "status": cr.apply.status.value if cr.apply.status else None,
            "output": cr.apply.output, "finished_at": _t(cr.apply.finished_at),
            "resolved_by": cr.apply.resolved_by,
            "abort_requested": cr.apply.abort_requested_by is not None,
            "abort_requested_by": cr.apply.abort_requested_by,
            "abort_reason": cr.apply.abort_reason, "aborted": cr.apply.aborted},
    }


def change_from_dict(d: JSON) -> ChangeRequest:
    """Inverse of change_to_dict; keys added later (stand_in, reminded_stages, a dry-run's source
    and outputs, an apply's abort, the metadata edit) are optional: an older dry-run counts as
    reported."""
    dr, ap, me = d["dry_run"], d["apply"], d.get("metadata_edit")
    return ChangeRequest(
        id=d["id"], requester=d["requester"], state=State(d["state"]), version=d["version"],
        created_at=_dt(d["created_at"]), idempotency_key=d["idempotency_key"],
        request_hash=d.get("request_hash"),
        metadata=metadata_from_dict(d["metadata"]),
        metadata_edit=None if me is None else MetadataEdit(
            me["actor"], _dt(me["at"]), metadata_from_dict(me["before"]),
            metadata_from_dict(me["after"]), me["approvals_reset"]),
        revisions=tuple(Revision(r["number"], content_from_dict(r["content"]), r["author"],
                                 _dt(r["created_at"])) for r in d["revisions"]),
        dry_run=None if dr is None else DryRun(dr["revision"], dr["output"], dr["digest"],
                                               _dt(dr["taken_at"]), dr["producer"],
                                               DryRunSource(dr.get("source", "reported")),
                                               dr.get("outputs", 1)),
        responses=tuple(Response(r["person"], r["revision"], r["stage"], Verdict(r["verdict"]),
                                 r["comment"], r["digest"], frozenset(r["groups"]), _dt(r["at"]),
                                 r["ended"], _pt(r["ended_at"]), r.get("stand_in", False),
                                 r.get("ended_note", ""))
                        for r in d["responses"]),
        comments=tuple(Comment(c["person"], c["revision"], c["text"], _dt(c["at"]))
                       for c in d["comments"]),
        workflow=workflow_from_dict(d["workflow"]) if d["workflow"] else None,
        submitted_at=_pt(d["submitted_at"]), expires_at=_pt(d["expires_at"]),
        remind_at=_pt(d["remind_at"]), reminders_sent=d["reminders_sent"],
        reminded_stages=tuple(d.get("reminded_stages", ())),
        post_review=post_review_from_dict(d.get("post_review")),
        approved_at=_pt(d["approved_at"]), apply_at=_pt(d["apply_at"]),
        apply=None if ap is None else ApplyAttempt(
            ap["key"], ap["revision"], ap["digest"], ap["started_by"], _dt(ap["started_at"]),
            ApplyStatus(ap["status"]) if ap["status"] else None, ap["output"],
            _pt(ap["finished_at"]), ap["resolved_by"], ap.get("abort_requested_by"),
            ap.get("abort_reason", ""), ap.get("aborted", False)),
    )
