"""Reads the policy file's workflows: match conditions, stages and their requirements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workflow.model import (
    ApplyMode,
    DryRunRule,
    Escalation,
    GroupDef,
    Notify,
    Requirement,
    Risk,
    Stage,
    Timing,
)
from workflow.policy_fields import (
    Node,
    Problems,
    child,
    choice,
    kind,
    known_keys,
    mapping,
    slack_id,
    text,
    texts,
    whole_number,
)
from workflow.policy_model import Match, is_glob
from workflow.policy_parse import TIMING_KEYS, Groups, optional_list, parse_timing, refer

WORKFLOW_KEYS = (
    "name", "priority", "match", "stages", "channel", "apply", "escalate_to", "escalate_after",
    "dry_run", "notify", *TIMING_KEYS,
)
STAGE_KEYS = ("name", "require", "denial_message")
DENIAL_MAX = 1000  # characters: told in a thread reply and a DM, kept readable
REQUIREMENT_KEYS = ("group", "count")
MATCH_KEYS = ("risk", "family", "action", "target", "labels", "requester_group")
RISKS = tuple(risk.value for risk in Risk)
MAX_APPROVALS = 100  # in one requirement, or in all of a workflow's stages together


@dataclass
class ParsedWorkflow:
    """What could be read of one workflow; a part that is None had problems, already recorded."""

    path: str
    name: str | None
    priority: int | None
    match: Match | None
    stages: tuple[Stage, ...] | None
    clean_stages: tuple[tuple[int, Stage], ...] = ()  # (index, stage) of stages without problems
    channel: str | None = None
    timing: Timing = field(default_factory=Timing)
    apply_mode: ApplyMode = ApplyMode.MANUAL
    escalation: Escalation | None = None
    dry_run: DryRunRule | None = None
    notify: Notify | None = None


def parse_workflows(
    value: object, defaults: Timing, groups: Groups, sizes: Mapping[str, int], problems: Problems
) -> list[ParsedWorkflow]:
    """Every workflow entry, each read as far as possible."""
    items = optional_list(value, "workflows", problems)
    if not items and (value is None or isinstance(value, list)):
        problems.add(
            "workflows",
            "no workflows are defined, so no change could ever be approved",
            "add at least one workflow; one without match covers every change",
        )
    parsed = []
    for index, spec in enumerate(items):
        path = f"workflows[{index}]"
        body = mapping(spec, path, problems, "write a workflow with name, priority and stages")
        if body is not None:
            parsed.append(_workflow(body, path, defaults, groups, sizes, problems))
    return parsed


def _present(body: Node, path: str, key: str, fix: str, problems: Problems) -> bool:
    if key not in body:
        problems.add(child(path, key), "is missing", fix)
        return False
    return True


def _workflow(
    body: Node,
    path: str,
    defaults: Timing,
    groups: Groups,
    sizes: Mapping[str, int],
    problems: Problems,
) -> ParsedWorkflow:
    known_keys(body, path, WORKFLOW_KEYS, problems)
    name = priority = channel = None
    stages: tuple[Stage, ...] | None = None
    clean: tuple[tuple[int, Stage], ...] = ()
    if _present(body, path, "name", "give the workflow a unique name", problems):
        name = text(body["name"], child(path, "name"), problems, "give the workflow a unique name")
    if _present(body, path, "priority", "add priority: N (lowest number wins)", problems):
        priority = whole_number(body["priority"], child(path, "priority"), problems, None)
    match = parse_match(body.get("match"), child(path, "match"), groups, problems)
    if _present(body, path, "stages", "write stages: [] if no approval is needed", problems):
        before = len(problems)
        clean = _stages(body["stages"], child(path, "stages"), groups, sizes, problems)
        if len(problems) == before:
            stages = tuple(stage for _, stage in clean)
    if body.get("channel") is not None:
        channel = slack_id(body["channel"], child(path, "channel"), problems, "CGD", "channel",
                           "in Slack, open the channel's details: the ID is at the bottom")
    apply_mode = ApplyMode.MANUAL
    if "apply" in body:
        word = choice(body["apply"], child(path, "apply"), ("manual", "auto"), problems)
        apply_mode = ApplyMode(word) if word else apply_mode
    dry_run = None
    if "dry_run" in body:
        rule = choice(body["dry_run"], child(path, "dry_run"), tuple(DryRunRule), problems)
        dry_run = DryRunRule(rule) if rule else None
    notify = None
    if "notify" in body:
        word = choice(body["notify"], child(path, "notify"), tuple(Notify), problems)
        notify = Notify(word) if word else None
    timing = parse_timing(body, path, defaults, problems)
    escalation = _escalation(body, path, timing, groups, problems)
    return ParsedWorkflow(path, name, priority, match, stages, clean, channel, timing, apply_mode,
                          escalation, dry_run, notify)


def _escalation(
    body: Node, path: str, timing: Timing, groups: Groups, problems: Problems
) -> Escalation | None:
    """`escalate_to` and `escalate_after` come together, and only where reminders are sent."""
    if "escalate_to" not in body and "escalate_after" not in body:
        return None
    group = after = None
    if _present(body, path, "escalate_to", "name the group to escalate to", problems):
        where = child(path, "escalate_to")
        group = text(body["escalate_to"], where, problems, "name a group")
        if group is not None and not refer(group, where, groups, problems):
            group = None
    fix = "add escalate_after: N (reminders of a stage before it is escalated)"
    if _present(body, path, "escalate_after", fix, problems):
        after = whole_number(body["escalate_after"], child(path, "escalate_after"), problems, 1)
    if timing.reminder_after is None:
        problems.add(child(path, "escalate_to"),
                     "escalation counts reminders, but reminder_after is off for this workflow",
                     "set reminder_after, or remove escalate_to and escalate_after")
        return None
    if body.get("stages") == []:
        problems.add(child(path, "escalate_to"), "this workflow has no stages to escalate",
                     "remove escalate_to and escalate_after")
        return None
    return Escalation(group, after) if group is not None and after is not None else None


def parse_match(value: object, path: str, groups: Groups, problems: Problems) -> Match | None:
    """The match conditions; left out or empty, they hold for every change."""
    if value is None:
        return Match()
    body = mapping(value, path, problems, "write conditions such as {risk: high}")
    if body is None:
        return None
    before = len(problems)
    known_keys(body, path, MATCH_KEYS, problems)
    conditions: dict[str, frozenset[str]] = {}
    for key in MATCH_KEYS:
        if key not in body:
            continue
        where = child(path, key)
        found = texts(body[key], where, problems, "write one value or a list of values")
        for item in found or ():
            if key == "risk" and item not in RISKS:
                problems.add(where, f"{item!r} is not a risk level", f"use {', '.join(RISKS)}")
            elif key in ("action", "labels") and is_glob(item):
                problems.add(where, f"{item!r} is a glob", f"{key} takes exact values; list them")
            elif key == "requester_group":
                refer(item, where, groups, problems)
        conditions[key] = frozenset(found or ())
    return Match(**conditions) if len(problems) == before else None


def _stages(
    value: object, path: str, groups: Groups, sizes: Mapping[str, int], problems: Problems
) -> tuple[tuple[int, Stage], ...]:
    """The stages that were read without problems, with their indexes."""
    if not isinstance(value, list):
        problems.add(path, f"must be a list, not {kind(value)}", "write [] or a list of stages")
        return ()
    stages: list[Stage] = []
    clean: list[tuple[int, Stage]] = []
    for index, spec in enumerate(value):
        before = len(problems)
        where = f"{path}[{index}]"
        body = mapping(spec, where, problems, "write {name: ..., require: [{group, count}]}")
        if body is None:
            continue
        known_keys(body, where, STAGE_KEYS, problems)
        name = f"Stage {index + 1}"
        if "name" in body:
            name = text(body["name"], child(where, "name"), problems, "name the stage") or name
        if name in (stage.name for stage in stages):
            problems.add(child(where, "name"), f"{name!r} names two stages", "rename one of them")
        requirements: tuple[Requirement, ...] = ()
        if _present(body, where, "require", "add require: [{group: NAME, count: N}]", problems):
            raw = body["require"]
            requirements = _requirements(raw, child(where, "require"), groups, sizes, problems)
        stages.append(Stage(name, requirements, _denial(body, where, problems)))
        if len(problems) == before:
            clean.append((index, stages[-1]))
    return tuple(clean)


def _denial(body: Node, path: str, problems: Problems) -> str:
    """What the requester is told when the stage rejects; none when the key is absent."""
    if "denial_message" not in body:
        return ""
    where = child(path, "denial_message")
    message = text(body["denial_message"], where, problems,
                   'write one line, e.g. "CAB meets Thursdays; resubmit with a window"') or ""
    if len(message) > DENIAL_MAX:
        problems.add(where, f"is {len(message)} characters long, more than {DENIAL_MAX}",
                     "shorten it")
        return ""
    return message


def _requirements(
    value: object, path: str, groups: Groups, sizes: Mapping[str, int], problems: Problems
) -> tuple[Requirement, ...]:
    if not isinstance(value, list) or not value:
        problems.add(
            path,
            f"must be a non-empty list of {{group, count}}, not {kind(value or None)}",
            "add a requirement, or remove the stage if it needs no approval",
        )
        return ()
    found: list[Requirement] = []
    for index, spec in enumerate(value):
        where = f"{path}[{index}]"
        body = mapping(spec, where, problems, "write {group: NAME, count: N}")
        if body is None:
            continue
        known_keys(body, where, REQUIREMENT_KEYS, problems)
        group = count = None
        if _present(body, where, "group", "name the group that must approve", problems):
            group = text(body["group"], child(where, "group"), problems, "name a group")
        if _present(body, where, "count", "add count: N (how many must approve)", problems):
            count = whole_number(body["count"], child(where, "count"), problems, 1, MAX_APPROVALS)
        if group is None or not refer(group, child(where, "group"), groups, problems):
            continue
        if group in (r.group for r in found):
            problems.add(
                child(where, "group"),
                f"group {group} is required twice in this stage",
                "merge them into one requirement with the total count",
            )
        if count is not None:
            _check_count(count, child(where, "count"), groups[group], sizes, problems)
            found.append(Requirement(group, count))
    return tuple(found)


def _check_count(
    count: int, path: str, group: GroupDef | None, sizes: Mapping[str, int], problems: Problems
) -> None:
    if group is None:
        return
    usergroup = group.slack_usergroup
    if group.members is not None:
        size, who = len(group.members), f"members of group {group.name}"
    elif usergroup is not None and usergroup in sizes:
        size = sizes[usergroup]
        who = f"current members of Slack user group {usergroup} (group {group.name})"
    else:
        return
    if count > size:
        problems.add(path, f"{count} exceeds the {size} {who}", "lower the count or add members")
