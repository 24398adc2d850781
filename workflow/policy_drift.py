"""What a reload leaves behind: in-flight changes whose kept groups or executor the new policy
no longer defines as they were. Those changes go on by their own snapshot; people are told."""

from __future__ import annotations

from collections.abc import Iterable

from workflow.model import ChangeRequest
from workflow.policy import Policy


def kept_apart(policy: Policy, changes: Iterable[ChangeRequest]) -> list[str]:
    """One line per in-flight change and each group or executor it keeps that `policy` removed
    or redefined."""
    notes = []
    for cr in changes:
        if cr.workflow is None or cr.is_terminal:
            continue
        for group in cr.workflow.group_definitions:
            now = policy.groups.get(group.name)
            if now != group:
                how = "no longer defines" if now is None else "defines otherwise"
                notes.append(f"{cr.id} keeps group {group.name}, which this policy {how}; "
                             "it is reviewed by the definition it was submitted with")
        spec = cr.workflow.executor_spec
        if spec is not None and policy.executors.executors.get(spec.name) != spec:
            notes.append(f"{cr.id} keeps executor {spec.name} ({spec.kind}), which this policy "
                         "no longer defines as it was; it is applied by the one it was "
                         "submitted with")
    return notes
