"""The policy file's parts as frozen values: groups, submit rules, match conditions, workflows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Literal

from workflow.executor_spec import ExecutorSpec
from workflow.model import (
    OWN_EXECUTOR_KINDS,
    ApplyMode,
    Content,
    DryRunRule,
    Escalation,
    GroupDef,
    Metadata,
    Notify,
    Stage,
    Timing,
    WorkflowSnapshot,
)

RulePolicy = Literal["deny", "submit"]


class PolicyError(Exception):
    """The policy file is invalid; `errors` lists every problem with its file, key path and fix."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


def is_glob(pattern: str) -> bool:
    """Whether a value is a glob pattern rather than a literal."""
    return any(char in pattern for char in "*?[")


@dataclass(frozen=True, slots=True)
class SubmitRule:
    """Who may (`submit`) or may not (`deny`) submit changes of some families and actions."""

    groups: tuple[str, ...]
    families: tuple[str, ...]  # glob patterns; empty means any family
    actions: tuple[str, ...]  # exact values; empty means any action
    policy: RulePolicy

    def applies_to(self, family: str, action: str) -> bool:
        """Whether the rule covers this family/action pair."""
        family_ok = not self.families or any(fnmatchcase(family, p) for p in self.families)
        return family_ok and (not self.actions or action in self.actions)


def _exact(allowed: frozenset[str] | None, value: str) -> bool:
    return allowed is None or value in allowed


def _glob(patterns: frozenset[str] | None, value: str) -> bool:
    return patterns is None or any(fnmatchcase(value, p) for p in patterns)


def _any(allowed: frozenset[str] | None, values: Iterable[str]) -> bool:
    return allowed is None or any(v in allowed for v in values)


def _patterns_meet(a: str, b: str) -> bool:
    """Whether some value can match both patterns; two real globs are assumed to meet."""
    if is_glob(a) and is_glob(b):
        return True
    if is_glob(a):
        return fnmatchcase(b, a)
    if is_glob(b):
        return fnmatchcase(a, b)
    return a == b


@dataclass(frozen=True, slots=True)
class Match:
    """Conditions on a change, all of which must hold; an absent key (None) holds for any change."""

    risk: frozenset[str] | None = None
    family: frozenset[str] | None = None  # glob patterns
    action: frozenset[str] | None = None
    target: frozenset[str] | None = None  # glob patterns
    labels: frozenset[str] | None = None  # the change carries any of them
    requester_group: frozenset[str] | None = None  # the requester is in any of them

    def matches(
        self, content: Content, metadata: Metadata, requester_groups: frozenset[str]
    ) -> bool:
        """Whether the change satisfies every condition."""
        return (
            _exact(self.risk, str(content.risk))
            and _glob(self.family, content.family)
            and _exact(self.action, content.action)
            and _glob(self.target, content.target)
            and _any(self.labels, metadata.labels)
            and _any(self.requester_group, requester_groups)
        )

    def can_overlap(self, other: Match) -> bool:
        """Whether one change could match both; only single-valued fields can rule that out."""
        for mine, theirs in ((self.risk, other.risk), (self.action, other.action)):
            if mine is not None and theirs is not None and not mine & theirs:
                return False
        for mine, theirs in ((self.family, other.family), (self.target, other.target)):
            if mine is None or theirs is None:
                continue
            if not any(_patterns_meet(a, b) for a in mine for b in theirs):
                return False
        return True

    def describe(self) -> str:
        """The conditions as `key=value` text for messages; `any change` when there are none."""
        parts = []
        for key in ("risk", "family", "action", "target", "labels", "requester_group"):
            values: frozenset[str] | None = getattr(self, key)
            if values is not None:
                parts.append(f"{key}={'|'.join(sorted(values))}")
        return ", ".join(parts) or "any change"


@dataclass(frozen=True, slots=True)
class WorkflowDef:
    """A workflow definition of the policy: when it applies and who must approve, stage by stage."""

    name: str
    priority: int
    match: Match = field(default_factory=Match)
    stages: tuple[Stage, ...] = ()
    channel: str | None = None
    timing: Timing = field(default_factory=Timing)
    apply_mode: ApplyMode = ApplyMode.MANUAL
    escalation: Escalation | None = None
    dry_run: DryRunRule | None = None  # None: the executor's when one is bound, else either
    notify: Notify | None = None  # None: both where the cards have a channel, else DMs

    def dry_run_rule(self, executor_kind: str | None) -> DryRunRule:
        """The dry-run sources this workflow accepts for a change run by `executor_kind`."""
        if self.dry_run is not None:
            return self.dry_run
        return DryRunRule.EXECUTOR if executor_kind in OWN_EXECUTOR_KINDS else DryRunRule.EITHER

    def snapshot(self, policy_version: str, groups: Mapping[str, GroupDef],
                 executor: ExecutorSpec | None = None) -> WorkflowSnapshot:
        """Copy the definition for a change, with the definitions of the groups it names and the
        executor bound to its family, so later policy edits never touch it."""
        kind = executor.kind if executor is not None else None
        taken = WorkflowSnapshot(
            name=self.name,
            stages=self.stages,
            timing=self.timing,
            policy_version=policy_version,
            channel=self.channel,
            apply_mode=self.apply_mode,
            executor=executor.name if executor is not None else None,
            escalation=self.escalation,
            executor_kind=kind,
            dry_run=self.dry_run_rule(kind),
            notify=self.notify,
            executor_spec=executor,
        )
        kept = tuple(groups[g] for g in sorted(taken.kept_groups()) if g in groups)
        return replace(taken, group_definitions=kept)
