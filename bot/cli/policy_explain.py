"""`changegate policy explain`: what the policy would do with a change, before anyone proposes it.

Membership of Slack user groups is not looked up: those groups are shown by id, and answers
that depend on them say so; with `--sandbox`, the sandbox's users file gives their members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.durations import format_duration
from workflow.errors import NoWorkflowMatches, SubmitDenied
from workflow.model import Content, Metadata, Risk, Timing, WorkflowSnapshot
from workflow.policy import Policy, WorkflowDef

FOUR_EYES = ("the requester never counts (four eyes): {user} may approve these stages of "
             "someone else's change, never of their own")
ONE_STAGE = "a person approves at most one stage of a change (separation of duties)"


@dataclass(frozen=True, slots=True)
class Question:
    """The change as `explain` is asked about it, and optionally the person asking."""

    risk: Risk
    family: str
    action: str
    target: str
    labels: tuple[str, ...] = ()
    user: str | None = None


def explain(policy: Policy, q: Question, usergroups: Mapping[str, frozenset[str]] | None = None,
            source: str | None = None) -> dict[str, Any]:
    """Everything the policy says about the change, as JSON-ready values; `usergroups` gives
    the members of Slack user groups where they are known (the sandbox's users file, named by
    `source`), so groups defined by them are answered like listed ones."""
    content = Content(q.family, q.action, q.target, q.risk, payload="")
    metadata = Metadata(title="", labels=q.labels)
    looked = Looked(usergroups or {}, source)
    groups = looked.groups_of(policy, q.user) if q.user else frozenset()
    workflow: dict[str, Any] | None = None
    refusal = None
    try:
        snapshot = policy.select(content, metadata, groups)
        workflow = _workflow(policy, snapshot, content, metadata, groups, looked)
    except NoWorkflowMatches as exc:
        refusal = exc.message
    return {
        "change": {"risk": str(q.risk), "family": q.family, "action": q.action,
                   "target": q.target, "labels": list(q.labels)},
        "policy_version": policy.version,
        "workflow": workflow,
        "refusal": refusal,
        "submit_rules": [{"groups": list(r.groups), "policy": r.policy}
                         for r in policy.submit_rules if r.applies_to(q.family, q.action)],
        "user": _user(policy, q, groups, workflow, looked) if q.user else None,
        "slack_usergroups": {name: g.slack_usergroup for name, g in sorted(policy.groups.items())
                             if g.slack_usergroup is not None},
        "usergroup_members_from": source if usergroups is not None else None,
    }


@dataclass(frozen=True, slots=True)
class Looked:
    """Members of Slack user groups known without asking Slack, and where they come from."""

    members: Mapping[str, frozenset[str]]
    source: str | None

    def of(self, policy: Policy, group: str) -> frozenset[str] | None:
        """The members of a Slack-user-group-defined group, when known."""
        usergroup = policy.groups[group].slack_usergroup
        return self.members.get(usergroup) if usergroup is not None else None

    def groups_of(self, policy: Policy, person: str) -> frozenset[str]:
        """The person's listed groups, and the user-group ones known to have them."""
        known = {name for name in policy.groups if person in (self.of(policy, name) or ())}
        return policy.static_groups_of(person) | known


def _definition(policy: Policy, name: str) -> WorkflowDef:
    return next(w for w in policy.workflows if w.name == name)


def _workflow(policy: Policy, snapshot: WorkflowSnapshot, content: Content, metadata: Metadata,
              groups: frozenset[str], looked: Looked) -> dict[str, Any]:
    chosen = _definition(policy, snapshot.name)
    also = [w.name for w in policy.workflows
            if w.name != chosen.name and w.match.matches(content, metadata, groups)]
    by_requester = [w.name for w in policy.workflows if w.match.requester_group is not None]
    return {
        "name": chosen.name,
        "priority": chosen.priority,
        "match": chosen.match.describe(),
        "also_matching": also,
        "depends_on_requester_groups": by_requester,
        "channel": snapshot.channel,
        "apply": snapshot.apply_mode.value,
        "executor": snapshot.executor,
        "timing": _timing(snapshot.timing),
        "escalation": None if snapshot.escalation is None else {
            "group": snapshot.escalation.group,
            "after_reminders": snapshot.escalation.after_reminders,
            "eligible": _eligible(policy, snapshot.escalation.group, looked)},
        "stages": [
            {"stage": index + 1, "name": stage.name,
             "requirements": [{"group": r.group, "count": r.count,
                               **_eligible(policy, r.group, looked)}
                              for r in stage.requirements]}
            for index, stage in enumerate(snapshot.stages)
        ],
    }


def _eligible(policy: Policy, group: str, looked: Looked) -> dict[str, Any]:
    """Who is in the group: its listed members, or its Slack user group's where known."""
    definition = policy.groups[group]
    known = looked.of(policy, group)
    listed = definition.members if definition.members is not None else known
    eligible = {"members": sorted(listed) if listed is not None else None,
                "slack_usergroup": definition.slack_usergroup}
    return eligible if known is None else {**eligible, "members_from": looked.source}


def _timing(timing: Timing) -> dict[str, Any]:
    reminder = timing.reminder_after
    return {"dry_run_ttl": format_duration(timing.dry_run_ttl),
            "approval_timeout": format_duration(timing.approval_timeout),
            "on_timeout": timing.on_timeout.value,
            "reminder_after": format_duration(reminder) if reminder is not None else "off",
            "late_apply_grace": format_duration(timing.late_apply_grace)}


def _user(policy: Policy, q: Question, groups: frozenset[str],
          workflow: dict[str, Any] | None, looked: Looked) -> dict[str, Any]:
    assert q.user is not None
    slack = {name for name, g in policy.groups.items()  # whose members nobody looked up
             if g.slack_usergroup is not None and looked.of(policy, name) is None}
    try:
        policy.check_submit(q.family, q.action, groups)
        may_submit, refusal = True, None
    except SubmitDenied as exc:
        may_submit, refusal = False, exc.message
    covering = {g for r in policy.submit_rules if r.applies_to(q.family, q.action)
                for g in r.groups}
    stages = []
    for stage in workflow["stages"] if workflow else []:
        required = {r["group"] for r in stage["requirements"]}
        stages.append({"stage": stage["stage"], "name": stage["name"],
                       "as_member_of": sorted(required & groups),
                       "if_in_slack_groups": sorted(required & slack)})
    escalation = workflow["escalation"] if workflow else None
    return {
        "id": q.user,
        "groups": sorted(groups),
        "may_submit": may_submit,
        "submit_refusal": refusal,
        "submit_depends_on_slack_groups": sorted(covering & slack),
        "could_approve": [s for s in stages if s["as_member_of"] or s["if_in_slack_groups"]],
        "after_escalation": escalation is not None and escalation["group"] in groups,
        "four_eyes": FOUR_EYES.format(user=q.user),
        "separation_of_duties": ONE_STAGE,
        "slack_groups_not_looked_up": {name: policy.groups[name].slack_usergroup
                                       for name in sorted(slack)},
    }


def render(result: dict[str, Any]) -> list[str]:
    """The explanation for people, one line each."""
    c = result["change"]
    labels = f", labels={','.join(c['labels'])}" if c["labels"] else ""
    lines = [f"change: risk={c['risk']}, family={c['family']}, action={c['action']}, "
             f"target={c['target']}{labels}"]
    workflow = result["workflow"]
    if workflow is None:
        lines.append(f"refused: {result['refusal']}")
    else:
        lines += _render_workflow(workflow, result["user"] is not None)
    rules = result["submit_rules"]
    lines.append("submit rules: " + ("; ".join(
        f"{r['policy']} {', '.join(r['groups'])}" for r in rules) if rules
        else "none cover it, so anyone may submit it"))
    if result["user"] is not None:
        lines += _render_user(result["user"])
    return lines


def _render_workflow(w: dict[str, Any], has_user: bool) -> list[str]:
    t = w["timing"]
    lines = [f"workflow: {w['name']} (priority {w['priority']}, match {w['match']})"]
    if w["also_matching"]:
        lines.append(f"  also matching, with a higher priority number: "
                     f"{', '.join(w['also_matching'])}")
    if w["depends_on_requester_groups"]:
        used = "the listed groups of --user" if has_user else "no groups (give --user)"
        lines.append(f"  workflows matching on the requester's groups: "
                     f"{', '.join(w['depends_on_requester_groups'])}; matched with {used}")
    lines.append(f"  timing: dry-run valid {t['dry_run_ttl']}, times out after "
                 f"{t['approval_timeout']} ({t['on_timeout']}), reminders {t['reminder_after']}, "
                 f"late-apply grace {t['late_apply_grace']}")
    executor = w["executor"] or "none bound: a pipeline reports the outcome"
    lines.append(f"  apply: {w['apply']}; executor: {executor}"
                 + (f"; cards in {w['channel']}" if w["channel"] else ""))
    if not w["stages"]:
        lines.append("  stages: none, approved at submission (no approval required)")
    for stage in w["stages"]:
        lines.append(f"  {_stage(stage)}:")
        for r in stage["requirements"]:
            lines.append(f"    {r['count']} of {r['group']}: {_who(r)}")
    if w["escalation"] is not None:
        e = w["escalation"]
        lines.append(f"  escalation: after {e['after_reminders']} reminders of a stage, "
                     f"{_who(e['eligible'])} ({e['group']}) may approve it too")
    return lines


def _stage(stage: dict[str, Any]) -> str:
    """`stage 2 (CAB)`; the default name `Stage N` is not repeated."""
    number, name = stage["stage"], stage["name"]
    return f"stage {number}" + (f" ({name})" if name and name != f"Stage {number}" else "")


def _who(eligible: dict[str, Any]) -> str:
    if eligible.get("members_from"):
        return (f"{', '.join(eligible['members']) or 'nobody'} (Slack user group "
                f"{eligible['slack_usergroup']}, as {eligible['members_from']} has it)")
    if eligible["members"] is not None:
        return ", ".join(eligible["members"])
    return f"members of Slack user group {eligible['slack_usergroup']}"


def _approve_via(stage: dict[str, Any], unknown: dict[str, str]) -> str:
    """`as a member of g`, or `if in Slack user group g (S…), which is not looked up`."""
    if stage["as_member_of"]:
        return f"as a member of {', '.join(stage['as_member_of'])}"
    names = stage["if_in_slack_groups"]
    groups = " or ".join(f"{name} ({unknown[name]})" for name in names)
    return (f"if in Slack user group{'s' if len(names) > 1 else ''} {groups}, which "
            f"{'are' if len(names) > 1 else 'is'} not looked up")


def _render_user(u: dict[str, Any]) -> list[str]:
    lines = [f"user {u['id']}: in {', '.join(u['groups']) or 'no listed group'}"]
    unknown = u["slack_groups_not_looked_up"]
    if unknown:
        lines.append("  Slack user groups not looked up: "
                     + ", ".join(f"{name} ({usergroup})" for name, usergroup in unknown.items()))
    depends = u["submit_depends_on_slack_groups"]
    if not u["may_submit"]:
        lines.append(f"  may submit: no, {u['submit_refusal']}")
    else:
        lines.append("  may submit: yes" + (" (judged on listed members only; the rules also "
                                            f"name {', '.join(depends)})" if depends else ""))
    if not u["could_approve"]:
        lines.append("  could approve: no stage")
    for s in u["could_approve"]:
        lines.append(f"  could approve {_stage(s)} {_approve_via(s, unknown)}")
    if u["after_escalation"]:
        lines.append("  could also approve a stage once it is escalated")
    if u["could_approve"] or u["after_escalation"]:
        lines += [f"  {u['four_eyes']}", f"  {u['separation_of_duties']}"]
    return lines
