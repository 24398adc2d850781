"""Reads the policy file's defaults, groups and submit rules, recording every problem found."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from workflow.model import GroupDef, MetadataEdits, OnTimeout, Timing
from workflow.policy_fields import (
    Node,
    Problems,
    child,
    choice,
    duration,
    known_keys,
    mapping,
    slack_id,
    texts,
)
from workflow.policy_model import RulePolicy, SubmitRule

TOP_KEYS = (
    "defaults", "groups", "submit_rules", "workflows", "executors", "families", "default_executor",
    "subscriptions", "ticket_url",
)
TIMING_KEYS = (
    "dry_run_ttl",
    "approval_timeout",
    "on_timeout",
    "reminder_after",
    "late_apply_grace",
    "post_review",
    "post_review_due",
    "metadata_edits",
)
POST_REVIEW_DUE = timedelta(hours=24)  # when `post_review: required` gives no due
GROUP_KEYS = ("members", "slack_usergroup")
RULE_KEYS = ("groups", "family", "actions", "action", "policy")

Groups = dict[str, GroupDef | None]  # None: declared, but its definition has problems


def optional_mapping(value: object, path: str, problems: Problems) -> Node:
    """A mapping that may be left out or empty."""
    if value is None:
        return {}
    return mapping(value, path, problems, "write a mapping of `key: value` lines") or {}


def optional_list(value: object, path: str, problems: Problems) -> list[object]:
    """A list that may be left out or empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "must be a list", "write one `- ...` entry per item")
        return []
    return cast(list[object], value)


def _timespan(node: Node, path: str, key: str, base: timedelta, problems: Problems) -> timedelta:
    if key not in node:
        return base
    found = duration(node[key], child(path, key), problems, zero_ok=key == "late_apply_grace")
    return base if found is None else found


def parse_timing(node: Node, path: str, base: Timing, problems: Problems) -> Timing:
    """The timing keys present in `node` laid over `base`; unknown keys are the caller's concern."""
    reminder = base.reminder_after
    if "reminder_after" in node:
        raw = node["reminder_after"]
        off = raw is None or raw is False or raw == "off"
        where = child(path, "reminder_after")
        reminder = None if off else duration(raw, where, problems, zero_ok=False)
    on_timeout = base.on_timeout
    if "on_timeout" in node:
        word = choice(node["on_timeout"], child(path, "on_timeout"), ("expire", "draft"), problems)
        on_timeout = on_timeout if word is None else OnTimeout(word)
    return Timing(
        dry_run_ttl=_timespan(node, path, "dry_run_ttl", base.dry_run_ttl, problems),
        approval_timeout=_timespan(node, path, "approval_timeout", base.approval_timeout, problems),
        on_timeout=on_timeout,
        reminder_after=reminder,
        late_apply_grace=_timespan(node, path, "late_apply_grace", base.late_apply_grace, problems),
        post_review_due=_post_review_due(node, path, base.post_review_due, problems),
        metadata_edits=_metadata_edits(node, path, base.metadata_edits, problems),
    )


def _metadata_edits(node: Node, path: str, base: MetadataEdits,
                    problems: Problems) -> MetadataEdits:
    """`reset` (a title or description edit ends the approvals given) or `keep`."""
    if "metadata_edits" not in node:
        return base
    word = choice(node["metadata_edits"], child(path, "metadata_edits"), tuple(MetadataEdits),
                  problems)
    return base if word is None else MetadataEdits(word)


def _post_review_due(node: Node, path: str, base: timedelta | None,
                     problems: Problems) -> timedelta | None:
    """`post_review: required` (due in `post_review_due`, 24h by default) or `optional`."""
    due = base
    if "post_review" in node:
        word = choice(node["post_review"], child(path, "post_review"), ("required", "optional"),
                      problems)
        due = None if word == "optional" else (due or POST_REVIEW_DUE) if word else due
    if "post_review_due" not in node:
        return due
    where = child(path, "post_review_due")
    found = duration(node["post_review_due"], where, problems, zero_ok=False)
    if due is None:
        problems.add(where, "is set but no post-implementation review is required",
                     "add post_review: required, or remove post_review_due")
        return None
    return found or due


def parse_groups(value: object, problems: Problems) -> Groups:
    """Every declared group, valid or not, so that references to a broken one add no noise."""
    groups: Groups = {}
    for name, spec in optional_mapping(value, "groups", problems).items():
        path = child("groups", name)
        groups[name] = None
        body = mapping(spec, path, problems, "write {members: [U...]} or {slack_usergroup: S...}")
        if body is None:
            continue
        known_keys(body, path, GROUP_KEYS, problems)
        if ("members" in body) == ("slack_usergroup" in body):
            which = "both members and" if "members" in body else "neither members nor"
            problems.add(
                path,
                f"has {which} slack_usergroup",
                "give exactly one: a members list, or the ID of a Slack user group",
            )
        elif "members" in body:
            members = _members(body["members"], child(path, "members"), problems)
            if members is not None:
                groups[name] = GroupDef(name, members=members)
        else:
            where = child(path, "slack_usergroup")
            usergroup = slack_id(body["slack_usergroup"], where, problems, "S", "user group",
                                 "usergroups.list shows it")
            if usergroup is not None:
                groups[name] = GroupDef(name, slack_usergroup=usergroup)
    return groups


def _members(value: object, path: str, problems: Problems) -> frozenset[str] | None:
    if not isinstance(value, list) or not value:
        problems.add(path, "must be a non-empty list of Slack user IDs", "write [U01AAA, U01BBB]")
        return None
    found = texts(value, path, problems, "write each member as a Slack user ID such as U01AAA")
    if found is None:
        return None
    for index, member in enumerate(found):
        if member in found[:index]:
            problems.add(f"{path}[{index}]", f"{member} is listed twice", "list each person once")
            return None
    return frozenset(found)


def refer(name: str, path: str, groups: Groups, problems: Problems) -> bool:
    """Whether `name` is a declared group; records an unknown-group problem if not."""
    if name in groups:
        return True
    declared = ", ".join(sorted(groups)) or "none are defined"
    fix = f"define it under groups, or use a defined one ({declared})"
    problems.add(path, f"unknown group {name!r}", fix)
    return False


def parse_submit_rules(value: object, groups: Groups, problems: Problems) -> list[SubmitRule]:
    """The submit rules that could be read in full."""
    rules = []
    for index, spec in enumerate(optional_list(value, "submit_rules", problems)):
        path = f"submit_rules[{index}]"
        body = mapping(spec, path, problems, "write {groups: [...], family: ..., policy: deny}")
        if body is not None:
            rule = _submit_rule(body, path, groups, problems)
            if rule is not None:
                rules.append(rule)
    return rules


def _submit_rule(body: Node, path: str, groups: Groups, problems: Problems) -> SubmitRule | None:
    before = len(problems)
    known_keys(body, path, RULE_KEYS, problems)
    group_names = required_texts(body, path, "groups", "name the groups it is about", problems)
    for i, name in enumerate(group_names or ()):
        refer(name, f"{path}.groups[{i}]", groups, problems)
    families: tuple[str, ...] | None = ()
    if "family" in body:
        families = texts(body["family"], child(path, "family"), problems, "write families or globs")
    actions: tuple[str, ...] | None = ()
    if "action" in body and "actions" in body:
        problems.add(child(path, "action"), "is given together with actions", "keep only one")
    for key in ("action", "actions"):
        if key in body:
            actions = texts(body[key], child(path, key), problems, "write action names")
    policy = None
    if "policy" not in body:
        problems.add(child(path, "policy"), "is missing", "write policy: deny or policy: submit")
    else:
        policy = choice(body["policy"], child(path, "policy"), ("deny", "submit"), problems)
    if len(problems) > before or group_names is None or families is None or actions is None:
        return None
    return SubmitRule(group_names, families, actions, cast(RulePolicy, policy))


def required_texts(
    body: Node, path: str, key: str, fix: str, problems: Problems
) -> tuple[str, ...] | None:
    """A text or list of texts that must be present."""
    if key not in body:
        problems.add(child(path, key), "is missing", fix)
        return None
    return texts(body[key], child(path, key), problems, fix)
