"""Warnings of `check`: workflows whose approvers would never hear of a change."""

from __future__ import annotations

from collections.abc import Mapping

from workflow.model import GroupDef, Notify, Stage
from workflow.policy_fields import Problems
from workflow.policy_model import WorkflowDef


def reach_warnings(workflows: tuple[WorkflowDef, ...], groups: Mapping[str, GroupDef],
                   source: str, default_channel: str | None,
                   sizes: Mapping[str, int] | None) -> list[str]:
    """Each workflow with stages that would tell no approver, and each group its DMs cannot
    reach; `sizes` (live Slack user group sizes) is None when they were not looked up."""
    warnings = Problems(source)
    for workflow in workflows:
        if not workflow.stages:
            continue  # nothing to approve, nobody to tell
        channel = workflow.channel or default_channel
        notify = workflow.snapshot("", {}).notifies(channel)
        where = f"workflow {workflow.name!r}"
        if notify is Notify.CHANNEL:
            if channel is None:
                warnings.add(where, "would reach no one: notify is channel, but it names no "
                             "channel and SLACK_CHANNEL is not set",
                             "set channel: C..., or notify: dm (or both)")
            continue
        for index, stage in enumerate(workflow.stages):
            unresolved = _unresolved(stage, groups, sizes)
            at = f"{where} stages[{index}] ({stage.name})"
            listed = ", ".join(f"{name} ({usergroup})" for name, usergroup in unresolved)
            if notify is Notify.DM and len(unresolved) == len(stage.groups):
                if sizes is None:
                    warnings.add(at, "may reach no one: its approvers are told by DM only, and "
                                 f"who is in {listed} is known only to Slack",
                                 "run check --live to see the members, or set a channel")
                else:
                    warnings.add(at, "would reach no one: its approvers are told by DM only, "
                                 f"and {listed} has no members", "add members, or set a channel")
            elif sizes is not None:
                for name, usergroup in unresolved:
                    warnings.add(at, f"DMs cannot reach group {name}: Slack user group "
                                 f"{usergroup} has no members", "add members to the user group")
    return warnings.items


def _unresolved(stage: Stage, groups: Mapping[str, GroupDef],
                sizes: Mapping[str, int] | None) -> list[tuple[str, str]]:
    """The stage's groups not known to have anyone to DM (live: empty; offline: any Slack user
    group), each with its Slack user group, by name."""
    found = []
    for name in sorted(stage.groups):
        usergroup = groups[name].slack_usergroup if name in groups else None
        if usergroup is not None and (sizes is None or sizes.get(usergroup) == 0):
            found.append((name, usergroup))
    return found
