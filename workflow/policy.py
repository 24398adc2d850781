"""The policy file: who may submit what, and which approval workflow a change gets; fails closed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from workflow.errors import NoWorkflowMatches, SubmitDenied
from workflow.executor_spec import ExecutorSpec
from workflow.model import Content, GroupDef, Metadata, Timing, WorkflowSnapshot
from workflow.policy_executors import ExecutorBindings, parse_bindings
from workflow.policy_fields import Problems, known_keys, mapping
from workflow.policy_model import Match, PolicyError, SubmitRule, WorkflowDef
from workflow.policy_parse import (
    TIMING_KEYS,
    TOP_KEYS,
    optional_mapping,
    parse_groups,
    parse_submit_rules,
    parse_timing,
)
from workflow.policy_subscriptions import Subscription, parse_subscriptions
from workflow.policy_validate import check_workflows
from workflow.policy_workflows import parse_workflows
from workflow.policy_yaml import read_yaml
from workflow.ticket_links import parse_ticket_url

__all__ = [
    "ExecutorSpec",
    "GroupDef",
    "Match",
    "Policy",
    "PolicyError",
    "SubmitRule",
    "Subscription",
    "WorkflowDef",
    "load_policy",
    "parse_policy",
]


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy file; `version` (sha256 of its bytes) is recorded with every change."""

    source: str
    version: str
    defaults: Timing
    groups: Mapping[str, GroupDef]
    submit_rules: tuple[SubmitRule, ...]
    workflows: tuple[WorkflowDef, ...]
    executors: ExecutorBindings = field(default_factory=ExecutorBindings)
    subscriptions: tuple[Subscription, ...] = ()  # who is told of which events, signed
    ticket_url: str | None = None  # `https://…/{ticket}`: a change's ticket as a link

    def executor_for(self, family: str) -> ExecutorSpec | None:
        """The executor bound to a change family (or the default); None when none is bound."""
        return self.executors.for_family(family)

    def select(
        self, content: Content, metadata: Metadata, requester_groups: frozenset[str]
    ) -> WorkflowSnapshot:
        """The matching workflow with the lowest priority number; no match refuses the change."""
        matching = [
            w for w in self.workflows if w.match.matches(content, metadata, requester_groups)
        ]
        if not matching:
            described = (
                f"family={content.family}, action={content.action}, "
                f"risk={content.risk}, target={content.target}"
            )
            if metadata.labels:
                described += f", labels={','.join(metadata.labels)}"
            raise NoWorkflowMatches(
                f"no approval workflow matches {described}: add a workflow for it to the policy"
            )
        chosen = min(matching, key=lambda w: w.priority)
        return chosen.snapshot(self.version, self.groups, self.executor_for(content.family))

    def check_submit(self, family: str, action: str, actor_groups: frozenset[str]) -> None:
        """Refuse a submission the submit rules forbid; `deny` beats `submit`, default allows."""
        rules = [rule for rule in self.submit_rules if rule.applies_to(family, action)]
        denied = {g for rule in rules if rule.policy == "deny" for g in rule.groups} & actor_groups
        if denied:
            raise SubmitDenied(
                f"denied by policy: members of {', '.join(sorted(denied))} "
                f"may not submit {family}/{action}"
            )
        allowed = {g for rule in rules if rule.policy == "submit" for g in rule.groups}
        if allowed and not allowed & actor_groups:
            raise SubmitDenied(
                f"denied by policy: only members of {', '.join(sorted(allowed))} "
                f"may submit {family}/{action}"
            )

    def static_groups_of(self, person: str) -> frozenset[str]:
        """Groups listing the person as a member; Slack user groups need a live lookup instead."""
        return frozenset(
            name
            for name, group in self.groups.items()
            if group.members is not None and person in group.members
        )


def _build(text: str, source: str, version: str, sizes: Mapping[str, int]) -> Policy:
    data = read_yaml(text, source)
    problems = Problems(source)
    if data is None:
        problems.add("top level", "the policy file is empty", "define groups and workflows")
        raise PolicyError(problems.items)
    root = mapping(data, "", problems, f"write a mapping with keys {', '.join(TOP_KEYS)}")
    if root is None:
        raise PolicyError(problems.items)
    known_keys(root, "", TOP_KEYS, problems)
    defaults_node = optional_mapping(root.get("defaults"), "defaults", problems)
    known_keys(defaults_node, "defaults", TIMING_KEYS, problems)
    defaults = parse_timing(defaults_node, "defaults", Timing(), problems)
    groups = parse_groups(root.get("groups"), problems)
    rules = parse_submit_rules(root.get("submit_rules"), groups, problems)
    parsed = parse_workflows(root.get("workflows"), defaults, groups, sizes, problems)
    check_workflows(parsed, groups, sizes, problems)
    bindings = parse_bindings(root, problems)
    subscriptions = parse_subscriptions(root.get("subscriptions"), groups, problems)
    ticket_url = (parse_ticket_url(root["ticket_url"], "ticket_url", problems)
                  if root.get("ticket_url") is not None else None)
    if problems.items:
        raise PolicyError(problems.items)
    workflows = [
        WorkflowDef(w.name, w.priority, w.match, w.stages, w.channel, w.timing, w.apply_mode,
                    w.escalation, w.dry_run, w.notify)
        for w in parsed
        if w.name is not None
        and w.priority is not None
        and w.match is not None
        and w.stages is not None
    ]
    workflows.sort(key=lambda w: w.priority)
    valid_groups = {name: group for name, group in groups.items() if group is not None}
    return Policy(
        source=source,
        version=version,
        defaults=defaults,
        groups=MappingProxyType(valid_groups),
        submit_rules=tuple(rules),
        workflows=tuple(workflows),
        executors=bindings,
        subscriptions=subscriptions,
        ticket_url=ticket_url,
    )


def parse_policy(
    text: str, source: str = "<string>", usergroup_sizes: Mapping[str, int] | None = None
) -> Policy:
    """Parse and validate policy text; `usergroup_sizes` maps Slack user group IDs to live sizes."""
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _build(text, source, version, usergroup_sizes or {})


def load_policy(
    path: str | os.PathLike[str], usergroup_sizes: Mapping[str, int] | None = None
) -> Policy:
    """Read, parse and validate the policy file; every problem is reported as a PolicyError."""
    source = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        problem = f"cannot read the policy file ({error.strerror or error})"
        raise PolicyError([f"{source}: {problem}; check the path and permissions"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = f"is not UTF-8 text (byte {error.start})"
        raise PolicyError([f"{source}: {problem}; save the file as UTF-8"]) from None
    return _build(text, source, hashlib.sha256(raw).hexdigest(), usergroup_sizes or {})
