"""Checks across workflows: unique names, unambiguous priorities, stages that people can fill."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from workflow.matching import assign_slots
from workflow.model import GroupDef, Requirement
from workflow.policy_fields import Problems, child
from workflow.policy_model import Match
from workflow.policy_parse import Groups
from workflow.policy_workflows import MAX_APPROVALS, ParsedWorkflow


def check_workflows(
    workflows: Sequence[ParsedWorkflow],
    groups: Groups,
    sizes: Mapping[str, int],
    problems: Problems,
) -> None:
    """Record every problem that only shows when workflows are seen together or against groups."""
    _check_names(workflows, problems)
    _check_priorities(workflows, problems)
    known = {name: group for name, group in groups.items() if group is not None}
    for workflow in workflows:
        _check_capacity(workflow, known, sizes, problems)


def _check_names(workflows: Sequence[ParsedWorkflow], problems: Problems) -> None:
    first: dict[str, str] = {}
    for workflow in workflows:
        if workflow.name is None:
            continue
        if workflow.name in first:
            problems.add(
                child(workflow.path, "name"),
                f"{workflow.name!r} is already the name of {first[workflow.name]}",
                "give each workflow a unique name",
            )
        else:
            first[workflow.name] = workflow.path


def _check_priorities(workflows: Sequence[ParsedWorkflow], problems: Problems) -> None:
    seen: list[tuple[ParsedWorkflow, int, Match]] = []
    for workflow in workflows:
        if workflow.priority is None or workflow.match is None:
            continue
        for other, priority, match in seen:
            if priority == workflow.priority and match.can_overlap(workflow.match):
                problems.add(
                    child(workflow.path, "priority"),
                    f"{priority} is also the priority of {other.path} ({other.name}), and one "
                    f"change can match both ({match.describe()} / {workflow.match.describe()})",
                    "give them different priorities (the lower number wins), or make their "
                    "matches exclusive on risk, family, action or target",
                )
        seen.append((workflow, workflow.priority, workflow.match))


def _check_capacity(
    workflow: ParsedWorkflow,
    groups: Mapping[str, GroupDef],
    sizes: Mapping[str, int],
    problems: Problems,
) -> None:
    total = sum(r.count for _, stage in workflow.clean_stages for r in stage.requirements)
    if total > MAX_APPROVALS:  # also keeps the matching below small
        problems.add(f"{workflow.path}.stages", f"needs {total} approvals in all, more than "
                     f"{MAX_APPROVALS}", "lower the counts, or use fewer stages")
        return
    all_stages_fillable = True
    for index, stage in workflow.clean_stages:
        if any(r.group not in groups for r in stage.requirements):
            all_stages_fillable = False  # a broken group definition, reported already
            continue
        needed = sum(r.count for r in stage.requirements)
        people = fillable(stage.requirements, groups, sizes)
        if people < needed:
            all_stages_fillable = False
            problems.add(
                f"{workflow.path}.stages[{index}]",
                f"can never be approved: it needs {needed} approvals but only {people} different "
                "people can give them, and a person counts toward one requirement of a stage only",
                "lower the counts or add members to the groups",
            )
    if workflow.stages is None or not all_stages_fillable:
        return
    every = [r for stage in workflow.stages for r in stage.requirements]
    needed = sum(r.count for r in every)
    people = fillable(every, groups, sizes)
    if people < needed:
        problems.add(
            f"{workflow.path}.stages",
            f"can never be approved: its stages need {needed} approvals in all but only {people} "
            "different people can give them, and a person may approve only one stage of a change",
            "lower the counts, add members, or require different groups in different stages",
        )


def fillable(
    requirements: Sequence[Requirement], groups: Mapping[str, GroupDef], sizes: Mapping[str, int]
) -> int:
    """Most requirement slots that distinct people can fill. A Slack group is assumed disjoint from
    all others and, when its size is unknown, large enough: only certain shortfalls are reported."""
    slots = [r.group for r in requirements for _ in range(r.count)]
    member_of: dict[str, set[str]] = defaultdict(set)
    for name in {r.group for r in requirements}:
        group = groups[name]
        if group.members is not None:
            people: Sequence[str] = sorted(group.members)
        else:
            usergroup = group.slack_usergroup or name
            size = sizes.get(usergroup, len(slots))
            people = [f"@{usergroup}#{i}" for i in range(size)]
        for person in people:
            member_of[person].add(name)
    candidates = [(person, frozenset(names)) for person, names in sorted(member_of.items())]
    return len(assign_slots(slots, candidates))
