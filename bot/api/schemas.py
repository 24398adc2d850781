"""JSON Schemas of the API's answers (OpenAPI 3.1 components), written to match represent.py."""

from __future__ import annotations

from typing import Any

from workflow.model import Risk, State
from workflow.post_review import ReviewOutcome

Schema = dict[str, Any]
STR: Schema = {"type": "string"}
NSTR: Schema = {"type": ["string", "null"]}
INT: Schema = {"type": "integer"}
NINT: Schema = {"type": ["integer", "null"]}
NUM: Schema = {"type": "number"}
NNUM: Schema = {"type": ["number", "null"]}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
NTIME: Schema = {"type": ["string", "null"], "format": "date-time"}
STATE: Schema = {"type": "string", "enum": [s.value for s in State]}
RISK: Schema = {"type": "string", "enum": [r.value for r in Risk]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(strict: bool = True, **properties: Schema) -> Schema:
    """An object with exactly these members (all present; nullable ones say so)."""
    schema: Schema = {"type": "object", "properties": properties, "required": list(properties)}
    if strict:
        schema["additionalProperties"] = False
    return schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def nullable(schema: Schema) -> Schema:
    return {"oneOf": [{"type": "null"}, schema]}


POST_REVIEW = obj(outcome={"type": "string", "enum": [o.value for o in ReviewOutcome]},
                  note=STR, links=array(STR), by=STR, at=TIME)
CONTENT = obj(family=STR, action=STR, target=STR, risk=RISK, payload=STR, rollback_plan=STR,
              scheduled_for=NTIME)
WORKFLOW = obj(
    False, name=STR, policy_version=STR, channel=NSTR, apply_mode=STR, executor=NSTR,
    executor_kind=NSTR, dry_run={"type": "string", "enum": ["executor", "reported", "either"]},
    notify={"type": ["string", "null"], "enum": ["channel", "dm", "both", None]},
    escalation=nullable(obj(False, group=STR, after_reminders=INT)),
    groups=array(obj(False, name=STR, members=nullable(array(STR)), slack_usergroup=NSTR)),
    executor_spec=nullable(obj(False, kind={"type": "string",
                                            "enum": ["webhook", "command", "external"]},
                               name=STR)),
    stages=array(obj(False, name=STR, require=array(obj(False, group=STR, count=INT)),
                     denial_message=STR)),
    timing=obj(False, dry_run_ttl=NUM, approval_timeout=NUM, on_timeout=STR,
               reminder_after=NNUM, late_apply_grace=NUM, post_review_due=NNUM,
               metadata_edits={"type": "string", "enum": ["reset", "keep"]}),
)
METADATA = obj(title=STR, description=STR, ticket=STR, labels=array(STR))
APPLY = obj(key=STR, revision=INT, digest=STR, started_by=STR, started_at=TIME,
            status={"type": ["string", "null"], "enum": ["applied", "failed", "unknown", None]},
            output=STR, finished_at=NTIME, resolved_by=NSTR, abort_requested=BOOL,
            abort_requested_by=NSTR, abort_reason=STR, aborted=BOOL)
PROGRESS = obj(stage=INT, name=STR, met=BOOL, requirements=array(
    obj(group=STR, count=INT, approvers=array(STR), met=BOOL)))

CHANGE = obj(
    id=STR, requester=STR, state=STATE, version=INT, created_at=TIME, idempotency_key=NSTR,
    request_hash=NSTR,
    metadata=METADATA,
    metadata_edit=nullable(obj(actor=STR, at=TIME, before=METADATA, after=METADATA,
                               approvals_reset=BOOL)),
    revisions=array(obj(number=INT, author=STR, created_at=TIME, content=CONTENT)),
    dry_run=nullable(obj(revision=INT, output=STR, digest=STR, taken_at=TIME, producer=STR,
                         source={"type": "string", "enum": ["executor", "reported"]},
                         outputs=INT)),
    responses=array(obj(person=STR, revision=INT, stage=INT,
                        verdict={"type": "string", "enum": ["approve", "reject"]},
                        comment=STR, digest=STR, groups=array(STR), at=TIME, ended=NSTR,
                        ended_at=NTIME, stand_in=BOOL, ended_note=STR)),
    comments=array(obj(person=STR, revision=INT, text=STR, at=TIME)),
    workflow=nullable(WORKFLOW), submitted_at=NTIME, expires_at=NTIME, remind_at=NTIME,
    reminders_sent=INT, reminded_stages=array(INT), approved_at=NTIME, apply_at=NTIME,
    post_review=nullable(POST_REVIEW),
    apply=nullable(APPLY),
    revision=INT, content=CONTENT, authors=array(STR), active_stage=NINT,
    progress=array(PROGRESS), decided=BOOL, terminal=BOOL, ticket_url=NSTR,
)
SUMMARY = obj(
    id=STR, title=STR, state=STATE, requester=STR, revision=INT, version=INT, family=STR,
    action=STR, target=STR, risk=RISK, labels=array(STR), ticket=STR, ticket_url=NSTR,
    scheduled_for=NTIME,
    created_at=TIME, submitted_at=NTIME, approved_at=NTIME, active_stage=NINT, workflow=NSTR,
)
AUDIT_EVENT = obj(seq=INT, prev_hash=STR, hash=STR, record=obj(
    False, kind=STR, change_id=NSTR, actor=STR, at=TIME, revision=NINT, digest=NSTR,
    policy_version=NSTR, since_proposal_s=NNUM, data={"type": "object"}))
REVIEW_RESULT = obj(id=STR, status=INT, reason=NSTR, detail=NSTR, change=nullable(ref("Change")))
PROBLEM: Schema = {
    "type": "object",
    "description": "RFC 9457 problem details; `reason` is a stable code, `field` names the "
                   "offending input of a 400; a refused policy reload lists its `errors` and "
                   "the `policy_version` still in force.",
    "properties": {"type": STR, "title": STR, "status": INT, "detail": STR, "instance": STR,
                   "reason": STR, "field": STR, "errors": {"type": "array", "items": STR},
                   "policy_version": STR},
    "required": ["type", "title", "status", "detail", "reason"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, Schema] = {
    "Change": CHANGE,
    "ChangeSummary": SUMMARY,
    "ChangePage": obj(changes=array(ref("ChangeSummary")), next_cursor=NSTR),
    "History": obj(change_id=STR, events=array(ref("AuditEvent"))),
    "AuditEvent": AUDIT_EVENT,
    "AuditPage": obj(events=array(ref("AuditEvent")), next_cursor=NSTR),
    "VerifyResult": obj(ok=BOOL, rows=INT, bad_seq=NINT, problem=NSTR, head=NSTR),
    "WaitResult": obj(change=ref("Change"),
                      until={"type": "string", "enum": ["decided", "terminal", "abort"]},
                      reached=BOOL, waited_s=NUM),
    "Ready": obj(status={"const": "ready"}, schema=STR, policy_version=NSTR),
    "PolicyReload": obj(policy_version=STR, previous_version=STR, changed=BOOL,
                        kept_apart=array(STR)),
    "Problem": PROBLEM,
    "ReviewResults": obj(results=array(REVIEW_RESULT), reviewed=INT, refused=INT),
}
