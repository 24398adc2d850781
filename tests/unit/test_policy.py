"""Policy file: loading, every validation error, workflow selection and submit rules."""

from __future__ import annotations

import copy
import hashlib
import inspect
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.durations import format_duration, parse_duration
from workflow.errors import NoWorkflowMatches, SubmitDenied
from workflow.model import ApplyMode, Content, Metadata, OnTimeout, Requirement, Risk, Stage
from workflow.policy import Match, Policy, PolicyError, load_policy, parse_policy
from workflow.policy_parse import TOP_KEYS
from workflow.policy_yaml import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "changegate.yaml"

Data = dict[str, Any]

BASE: Data = {
    "groups": {
        "neteng": {"slack_usergroup": "S01NETENG"},
        "seniors": {"members": ["n1", "n2", "n3"]},
        "cab": {"members": ["c1", "c2"]},
        "contractors": {"members": ["x1"]},
    },
    "workflows": [{"name": "all", "priority": 10, "stages": []}],
}


def data(**sections: Any) -> Data:
    """The valid base policy with some top-level sections replaced."""
    result = copy.deepcopy(BASE)
    result.update(sections)
    return result


def flow(*stages: Any, **keys: Any) -> Data:
    """Base policy whose only workflow has the given stages and extra keys."""
    workflow = {"name": "w", "priority": 10, "stages": list(stages), **keys}
    return data(workflows=[workflow])


def stage(*require: tuple[str, Any], **keys: Any) -> Data:
    """A stage requiring `count` of `group` for each (group, count) pair."""
    return {"require": [{"group": g, "count": c} for g, c in require], **keys}


def parse(doc: Data | str, sizes: dict[str, int] | None = None) -> Policy:
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    return parse_policy(text, "test.yaml", sizes)


def errors_of(doc: Data | str, sizes: dict[str, int] | None = None) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse(doc, sizes)
    return info.value.errors


def change(
    risk: str = "high", family: str = "bgp", action: str = "update", target: str = "edge-1"
) -> Content:
    return Content(family=family, action=action, target=target, risk=Risk(risk), payload="x")


NO_LABELS = Metadata(title="t")


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("72h", timedelta(hours=72)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("2d", timedelta(days=2)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "", "m", "30 m", "1m1h", "30min", "-5m", "1.5h", "30M"])
def test_parse_duration_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="like 45s, 30m, 72h"):
        parse_duration(text)


def test_bare_number_is_refused_for_lack_of_unit() -> None:
    with pytest.raises(ValueError, match="has no unit"):
        parse_duration("90")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=31), "31m"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(minutes=30, seconds=1), "30m01s"),
        (timedelta(hours=1, seconds=5), "1h00m05s"),
        (timedelta(hours=72), "3d"),
        (timedelta(days=2, hours=3), "2d03h"),
        (timedelta(0), "0s"),
        (timedelta(minutes=30, microseconds=1), "30m01s"),
        (-timedelta(minutes=5), "-5m"),
    ],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@given(st.integers(min_value=0, max_value=10**9))
def test_format_then_parse_round_trips(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


# --- validation: every error names the key path --------------------------------------------------


def _rule(**keys: Any) -> Data:
    return data(submit_rules=[{"groups": ["contractors"], "policy": "deny", **keys}])


def _two(first: Data, second: Data) -> Data:
    return data(workflows=[first, second])


INVALID: list[tuple[str, Callable[[], Data | str], str]] = [
    (
        "unknown top key",
        lambda: data(workflow=[]),
        "workflow: unknown key 'workflow'; did you mean",
    ),
    ("top not mapping", lambda: "- a\n- b\n", "top level: must be a mapping, not a list"),
    ("empty file", lambda: "", "top level: the policy file is empty"),
    ("yaml syntax", lambda: "groups:\n  a: {members: [x]\nworkflows: []\n", "line 3"),
    (
        "unquoted glob",
        lambda: "workflows: [{name: a, priority: 1, stages: [], match: {target: *-r1}}]\n",
        "line 1, column 64: found undefined alias '-r1'; quote values that start with *",
    ),
    ("duplicate yaml key", lambda: "workflows: []\nworkflows: []\n", "duplicate key 'workflows'"),
    ("no workflows key", lambda: {"groups": {}}, "workflows: no workflows are defined"),
    ("empty workflows", lambda: data(workflows=[]), "workflows: no workflows are defined"),
    ("defaults unknown", lambda: data(defaults={"ttl": "5m"}), "defaults.ttl: unknown key 'ttl'"),
    ("ttl no unit", lambda: data(defaults={"dry_run_ttl": 90}), "defaults.dry_run_ttl: must be"),
    ("ttl bad text", lambda: data(defaults={"dry_run_ttl": "30x"}), "defaults.dry_run_ttl: inv"),
    ("zero timeout", lambda: data(defaults={"approval_timeout": "0s"}), "approval_timeout: must"),
    ("on_timeout", lambda: data(defaults={"on_timeout": "later"}), "defaults.on_timeout: the text"),
    ("reminder", lambda: data(defaults={"reminder_after": "soon"}), "defaults.reminder_after: inv"),
    ("grace", lambda: data(defaults={"late_apply_grace": "-5m"}), "defaults.late_apply_grace: "),
    (
        "group both",
        lambda: data(groups={"g": {"members": ["a"], "slack_usergroup": "S01"}}),
        "groups.g: has both members and slack_usergroup",
    ),
    (
        "group neither",
        lambda: data(groups={"g": {}}),
        "groups.g: has neither members nor slack_usergroup",
    ),
    ("group not map", lambda: data(groups={"g": ["a"]}), "groups.g: must be a mapping"),
    (
        "members empty",
        lambda: data(groups={"g": {"members": []}}),
        "groups.g.members: must be a non-empty list",
    ),
    (
        "member blank",
        lambda: data(groups={"g": {"members": ["a", " "]}}),
        "groups.g.members[1]: must be a non-empty text",
    ),
    (
        "member twice",
        lambda: data(groups={"g": {"members": ["a", "a"]}}),
        "groups.g.members[1]: a is listed twice",
    ),
    (
        "group unknown key",
        lambda: data(groups={"g": {"member": ["a"]}}),
        "groups.g.member: unknown key 'member'",
    ),
    (
        "usergroup handle",
        lambda: data(groups={"g": {"slack_usergroup": "@neteng"}}),
        "groups.g.slack_usergroup: @neteng is a handle",
    ),
    (
        "unknown group in stage",
        lambda: flow(stage(("nobody", 1))),
        "workflows[0].stages[0].require[0].group: unknown group 'nobody'",
    ),
    (
        "unknown group in rule",
        lambda: data(submit_rules=[{"groups": ["nobody"], "policy": "deny"}]),
        "submit_rules[0].groups[0]: unknown group 'nobody'",
    ),
    (
        "unknown group in match",
        lambda: flow(match={"requester_group": "nobody"}),
        "workflows[0].match.requester_group: unknown group 'nobody'",
    ),
    ("count zero", lambda: flow(stage(("cab", 0))), "stages[0].require[0].count: 0 is less than 1"),
    ("count text", lambda: flow(stage(("cab", "2"))), "require[0].count: must be a whole number"),
    ("count bool", lambda: flow(stage(("cab", True))), "require[0].count: must be a whole number"),
    (
        "count missing",
        lambda: flow({"require": [{"group": "cab"}]}),
        "workflows[0].stages[0].require[0].count: is missing",
    ),
    (
        "count over members",
        lambda: flow(stage(("cab", 3))),
        "workflows[0].stages[0].require[0].count: 3 exceeds the 2 members of group cab; "
        "lower the count or add members",
    ),
    (
        "stage never satisfiable",
        lambda: data(
            groups={**BASE["groups"], "pair": {"members": ["n1", "n2"]}},
            workflows=[
                {"name": "w", "priority": 1, "stages": [stage(("seniors", 2), ("pair", 2))]}
            ],
        ),
        "workflows[0].stages[0]: can never be approved: it needs 4 approvals but only 3",
    ),
    (
        "workflow never satisfiable",
        lambda: flow(stage(("seniors", 2)), stage(("seniors", 2))),
        "workflows[0].stages: can never be approved: its stages need 4 approvals in all but only 3",
    ),
    (
        "duplicate names",
        lambda: _two(
            {"name": "a", "priority": 1, "stages": []}, {"name": "a", "priority": 2, "stages": []}
        ),
        "workflows[1].name: 'a' is already the name of workflows[0]",
    ),
    (
        "priority text",
        lambda: data(workflows=[{"name": "a", "priority": "1", "stages": []}]),
        "workflows[0].priority: must be a whole number",
    ),
    (
        "priority missing",
        lambda: data(workflows=[{"name": "a", "stages": []}]),
        "workflows[0].priority: is missing",
    ),
    (
        "name missing",
        lambda: data(workflows=[{"priority": 1, "stages": []}]),
        "workflows[0].name: is missing",
    ),
    (
        "same priority overlapping",
        lambda: _two(
            {"name": "a", "priority": 5, "match": {"risk": ["high", "critical"]}, "stages": []},
            {"name": "b", "priority": 5, "match": {"risk": "high"}, "stages": []},
        ),
        "workflows[1].priority: 5 is also the priority of workflows[0] (a)",
    ),
    ("bad risk", lambda: flow(match={"risk": "huge"}), "workflows[0].match.risk: 'huge' is not"),
    ("match unknown", lambda: flow(match={"env": "prod"}), "workflows[0].match.env: unknown key"),
    ("match not map", lambda: flow(match=["high"]), "workflows[0].match: must be a mapping"),
    ("action glob", lambda: flow(match={"action": "re*"}), "workflows[0].match.action: 're*' is"),
    ("workflow unknown", lambda: flow(stage=[]), "workflows[0].stage: unknown key 'stage'"),
    (
        "stages missing",
        lambda: data(workflows=[{"name": "a", "priority": 1}]),
        "workflows[0].stages: is missing",
    ),
    ("stages not list", lambda: flow(stages={}), "workflows[0].stages: must be a list"),
    (
        "stage unknown key",
        lambda: flow({"requires": [{"group": "cab", "count": 1}]}),
        "workflows[0].stages[0].requires: unknown key 'requires'",
    ),
    ("stage no require", lambda: flow({"name": "s"}), "workflows[0].stages[0].require: is missing"),
    (
        "stage empty require",
        lambda: flow({"require": []}),
        "workflows[0].stages[0].require: must be a non-empty list",
    ),
    (
        "requirement unknown key",
        lambda: flow({"require": [{"group": "cab", "count": 1, "min": 1}]}),
        "workflows[0].stages[0].require[0].min: unknown key 'min'",
    ),
    (
        "group twice in stage",
        lambda: flow(stage(("cab", 1), ("cab", 1))),
        "workflows[0].stages[0].require[1].group: group cab is required twice",
    ),
    (
        "stage names twice",
        lambda: flow(stage(("cab", 1), name="s"), stage(("seniors", 1), name="s")),
        "workflows[0].stages[1].name: 's' names two stages",
    ),
    ("apply", lambda: flow(apply="sometimes"), "workflows[0].apply: the text 'sometimes'"),
    ("workflow ttl", lambda: flow(dry_run_ttl="soon"), "workflows[0].dry_run_ttl: invalid"),
    ("channel blank", lambda: flow(channel=""), "workflows[0].channel: must be a non-empty text"),
    (
        "channel name",
        lambda: flow(channel="#general"),
        "workflows[0].channel: #general is a name, and names can be renamed; use the channel's "
        "ID (C..., G... or D...); in Slack, open the channel's details: the ID is at the bottom",
    ),
    (
        "channel not an id",
        lambda: flow(channel="c0cab"),
        "workflows[0].channel: 'c0cab' is not a Slack channel ID; use the channel's ID",
    ),
    (
        "usergroup not an id",
        lambda: data(groups={"g": {"slack_usergroup": "neteng"}}),
        "groups.g.slack_usergroup: 'neteng' is not a Slack user group ID; use the user group's ID",
    ),
    (
        "name with a newline",
        lambda: data(workflows=[{"name": "all\nhands", "priority": 1, "stages": []}]),
        "workflows[0].name: 'all\\nhands' contains the control character '\\n'",
    ),
    (
        "stage name with an escape sequence",
        lambda: flow(stage(("cab", 1), name="\x1b[31mred")),
        "workflows[0].stages[0].name: '\\x1b[31mred' contains the control character '\\x1b'",
    ),
    (
        "member with a direction override",
        lambda: data(groups={"g": {"members": ["U1\u202e"]}}),
        "groups.g.members[0]: 'U1\\u202e' contains the control character '\\u202e'",
    ),
    (
        "group name with a newline",
        lambda: data(groups={"g\nx": {"members": ["a"]}}),
        "groups.g\\nx: 'g\\nx' contains the control character '\\n'",
    ),
    (
        "match value with a tab",
        lambda: flow(match={"target": "edge\t1"}),
        "workflows[0].match.target[0]: 'edge\\t1' contains the control character '\\t'",
    ),
    (
        "count beyond reason",
        lambda: flow(stage(("neteng", 10**9))),
        "workflows[0].stages[0].require[0].count: 1000000000 is more than 100; use 100 or fewer",
    ),
    (
        "approvals in all beyond reason",
        lambda: flow(*[stage(("neteng", 60)) for _ in range(2)]),
        "workflows[0].stages: needs 120 approvals in all, more than 100",
    ),
    (
        "duration beyond a date",
        lambda: data(defaults={"approval_timeout": "999999999d"}),
        "defaults.approval_timeout: 999999999d is longer than ten years; write at most 3650d",
    ),
    (
        "date for a duration",
        lambda: "defaults: {dry_run_ttl: 2024-05-01}\nworkflows: [{name: a, priority: 1, "
                "stages: []}]\n",
        "defaults.dry_run_ttl: must be a duration, not the date 2024-05-01",
    ),
    (
        "nested lists",
        lambda: "[" * 1200 + "]" * 1200,
        "test.yaml: " + "[0]" * 33 + " (line 1, column 34): nests deeper than 32 levels",
    ),
    (
        "nested mappings",
        lambda: "workflows: " + "{a: " * 600 + "1" + "}" * 600,
        "workflows.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a (line 1, "
        "column 140): nests deeper than 32 levels, far more than any policy needs",
    ),
    ("rule policy", lambda: _rule(policy="maybe"), "submit_rules[0].policy: the text 'maybe'"),
    (
        "rule missing policy",
        lambda: data(submit_rules=[{"groups": ["contractors"]}]),
        "submit_rules[0].policy: is missing",
    ),
    (
        "rule action twice",
        lambda: _rule(action="reload", actions=["reload"]),
        "submit_rules[0].action: is given together with actions",
    ),
    ("rule unknown key", lambda: _rule(families=["x"]), "submit_rules[0].families: unknown key"),
    ("rules not list", lambda: data(submit_rules={"a": 1}), "submit_rules: must be a list"),
]


def test_the_base_policy_of_the_table_is_valid() -> None:
    assert [w.name for w in parse(data()).workflows] == ["all"]


@pytest.mark.parametrize(
    ("build", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_each_problem_is_reported_with_file_and_key_path(
    build: Callable[[], Data | str], fragment: str
) -> None:
    errors = errors_of(build())
    assert any(fragment in e for e in errors), errors
    assert all(e.startswith("test.yaml: ") and "; " in e for e in errors), errors


def test_all_problems_are_reported_at_once() -> None:
    doc = flow(stage(("cab", 3)), match={"risk": "huge"}, apply="x")
    doc["defaults"] = {"dry_run_ttl": "90"}
    with pytest.raises(PolicyError) as info:
        parse(doc)
    assert len(info.value.errors) == 4
    assert str(info.value).splitlines() == info.value.errors


def test_a_broken_stage_does_not_hide_an_unsatisfiable_one() -> None:
    errors = errors_of(flow(stage(("cab", 3)), stage(("seniors", 2), ("cab", 2), ("neteng", 0))))
    assert any("stages[0].require[0].count: 3 exceeds" in e for e in errors)
    assert any("stages[1].require[2].count: 0 is less than 1" in e for e in errors)


def test_slack_group_counts_are_checked_only_against_a_known_live_size() -> None:
    doc = flow(stage(("neteng", 3)))
    assert parse(doc).workflows[0].stages[0].requirements == (Requirement("neteng", 3),)
    assert parse(doc, {"S01NETENG": 3}).workflows[0].name == "w"
    [error] = errors_of(doc, {"S01NETENG": 2})
    assert (
        "require[0].count: 3 exceeds the 2 current members of Slack user group S01NETENG" in error
    )


def test_stage_capacity_assumes_a_slack_group_of_unknown_size_is_large_enough() -> None:
    doc = flow(stage(("seniors", 3), ("neteng", 2)), stage(("neteng", 2)))
    assert parse(doc).workflows[0].name == "w"
    assert parse(doc, {"S01NETENG": 4}).workflows[0].name == "w"
    [error] = errors_of(doc, {"S01NETENG": 3})
    assert "workflows[0].stages: can never be approved: its stages need 7 approvals" in error


def test_a_person_in_two_groups_counts_once_per_stage() -> None:
    groups = {**BASE["groups"], "pair": {"members": ["n1", "n2"]}}
    ok = data(
        groups=groups,
        workflows=[{"name": "w", "priority": 1, "stages": [stage(("seniors", 1), ("pair", 2))]}],
    )
    assert parse(ok).workflows[0].name == "w"
    short = data(
        groups=groups,
        workflows=[{"name": "w", "priority": 1, "stages": [stage(("seniors", 2), ("pair", 2))]}],
    )
    assert "can never be approved" in errors_of(short)[0]


def test_separation_of_duties_across_stages_is_checked() -> None:
    assert parse(flow(stage(("seniors", 2)), stage(("cab", 2)))).workflows[0].name == "w"
    [error] = errors_of(
        flow(stage(("seniors", 2)), stage(("seniors", 1), ("cab", 1)), stage(("cab", 2)))
    )
    assert error.startswith("test.yaml: workflows[0].stages: can never be approved")


def test_scenario_27_count_over_group_size_fails_naming_the_key_path(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "{group: change-advisory-board, count: 1}", "{group: change-advisory-board, count: 3}"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.errors == [
        f"{path}: workflows[0].stages[1].require[0].count: 3 exceeds the 2 members of group "
        "change-advisory-board; lower the count or add members"
    ]


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"missing\.yaml: cannot read the policy file"):
        load_policy(tmp_path / "missing.yaml")


VALID_TAIL = "\nworkflows: [{name: a, priority: 1, stages: []}]\n"


def test_nesting_is_read_up_to_the_limit_and_refused_one_level_beyond() -> None:
    def nested(levels: int) -> str:
        return "x: " + "[" * levels + "1" + "]" * levels + VALID_TAIL

    assert errors_of(nested(MAX_DEPTH - 1)) == [
        "test.yaml: x: unknown key 'x'; allowed keys: " + ", ".join(TOP_KEYS)]
    assert errors_of(nested(MAX_DEPTH)) == [
        f"test.yaml: x{'[0]' * MAX_DEPTH} (line 1, column {MAX_DEPTH + 4}): nests deeper than "
        f"{MAX_DEPTH} levels, far more than any policy needs; check the brackets and "
        "indentation there"]


def test_running_out_of_stack_while_reading_is_a_policy_error() -> None:
    shallow = "x: " + "[" * 20 + "1" + "]" * 20 + VALID_TAIL  # well within MAX_DEPTH
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 40)
    try:
        with pytest.raises(PolicyError) as info:
            parse(shallow)
    finally:
        sys.setrecursionlimit(limit)
    assert info.value.errors == [
        "test.yaml: top level: the YAML is nested too deeply to read; flatten it"]


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.dates() | st.binary(max_size=4),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3),
    max_leaves=10,
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value in a document, the document itself included."""
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    return [path] + [p for key, value in children for p in _places(value, (*path, key))]


RICH = data(
    defaults={"dry_run_ttl": "30m", "reminder_after": "4h"},
    submit_rules=[{"groups": ["contractors"], "family": "core-*", "policy": "deny"}],
    workflows=[{"name": "w", "priority": 1, "match": {"risk": "high", "target": "edge-*"},
                "channel": "C0CAB", "apply": "auto", "escalate_to": "cab", "escalate_after": 2,
                "stages": [stage(("seniors", 2), name="s"), stage(("cab", 1))]}],
    executors={"hook": {"kind": "webhook", "url": "https://netops.example/cg",
                        "secret_env": "HOOK_SECRET", "timeout": "20s"},
               "script": {"kind": "command", "argv": ["/bin/push"], "max_output": "1MB",
                          "pass_env": ["TOKEN"]}},
    families={"bgp": {"executor": "hook"}, "default": {"executor": "script"}},
)
PLACES = _places(RICH)


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(PLACES), value=YAML_VALUES)
def test_any_value_anywhere_is_a_policy_or_problems_on_one_line_each(
    place: tuple[Any, ...], value: Any
) -> None:
    document = copy.deepcopy(RICH)
    if place:
        parent = document
        for key in place[:-1]:
            parent = parent[key]
        parent[place[-1]] = value
    else:
        document = value
    try:
        parse(yaml.safe_dump(document, sort_keys=False))
    except PolicyError as error:
        assert error.errors
        for line in error.errors:
            assert line.startswith("test.yaml: ") and "; " in line, line
            assert line.isprintable(), line


# --- overlap of matches --------------------------------------------------------------------------

OVERLAP = [
    (Match(risk=frozenset({"high"})), Match(risk=frozenset({"low"})), False),
    (Match(risk=frozenset({"high", "low"})), Match(risk=frozenset({"low"})), True),
    (Match(risk=frozenset({"high"})), Match(), True),
    (Match(family=frozenset({"bgp"})), Match(family=frozenset({"dns"})), False),
    (Match(family=frozenset({"dns.*"})), Match(family=frozenset({"dns.zone"})), True),
    (Match(target=frozenset({"core-*"})), Match(target=frozenset({"edge-1"})), False),
    (Match(target=frozenset({"core-*"})), Match(target=frozenset({"edge-*"})), True),
    (Match(labels=frozenset({"a"})), Match(labels=frozenset({"b"})), True),
    (Match(requester_group=frozenset({"a"})), Match(requester_group=frozenset({"b"})), True),
    (
        Match(action=frozenset({"add"}), risk=frozenset({"low"})),
        Match(action=frozenset({"add"})),
        True,
    ),
]


@pytest.mark.parametrize(("left", "right", "overlap"), OVERLAP)
def test_matches_overlap_unless_a_single_valued_key_is_disjoint(
    left: Match, right: Match, overlap: bool
) -> None:
    assert left.can_overlap(right) is overlap
    assert right.can_overlap(left) is overlap


def test_same_priority_is_allowed_when_matches_cannot_overlap() -> None:
    doc = _two(
        {"name": "a", "priority": 5, "match": {"risk": "high"}, "stages": []},
        {"name": "b", "priority": 5, "match": {"risk": ["low", "medium"]}, "stages": []},
    )
    assert [w.name for w in parse(doc).workflows] == ["a", "b"]


# --- selection -----------------------------------------------------------------------------------


def test_scenario_24_the_lowest_priority_number_among_matches_wins() -> None:
    doc = _two(
        {"name": "standard", "priority": 20, "stages": [stage(("seniors", 1))]},
        {
            "name": "prod",
            "priority": 10,
            "match": {"labels": ["env=prod"]},
            "stages": [stage(("cab", 1))],
        },
    )
    policy = parse(doc)
    prod = Metadata(title="t", labels=("team=net", "env=prod"))
    assert policy.select(change(), prod, frozenset()).name == "prod"
    assert policy.select(change(), NO_LABELS, frozenset()).name == "standard"
    assert (
        policy.select(change(), Metadata("t", labels=("env=dev",)), frozenset()).name == "standard"
    )


def test_scenario_25_no_match_fails_closed() -> None:
    policy = parse(
        data(workflows=[{"name": "a", "priority": 1, "match": {"risk": "low"}, "stages": []}])
    )
    with pytest.raises(NoWorkflowMatches) as info:
        policy.select(change(), NO_LABELS, frozenset())
    assert info.value.message == (
        "no approval workflow matches family=bgp, action=update, risk=high, target=edge-1: "
        "add a workflow for it to the policy"
    )


def test_every_match_key_must_hold() -> None:
    match = {
        "risk": ["high", "critical"],
        "family": "core-*",
        "action": "reload",
        "target": "core-*",
        "labels": ["env=prod", "cab"],
        "requester_group": "seniors",
    }
    policy = parse(data(workflows=[{"name": "a", "priority": 1, "match": match, "stages": []}]))
    labels = Metadata("t", labels=("cab",))
    good = change("critical", "core-router", "reload", "core-r1")
    assert policy.select(good, labels, frozenset({"seniors"})).name == "a"
    for content, metadata, groups in [
        (change("medium", "core-router", "reload", "core-r1"), labels, {"seniors"}),
        (change("critical", "edge-router", "reload", "core-r1"), labels, {"seniors"}),
        (change("critical", "core-router", "update", "core-r1"), labels, {"seniors"}),
        (change("critical", "core-router", "reload", "edge-r1"), labels, {"seniors"}),
        (good, NO_LABELS, {"seniors"}),
        (good, labels, {"cab"}),
    ]:
        with pytest.raises(NoWorkflowMatches):
            policy.select(content, metadata, frozenset(groups))


def test_snapshot_carries_the_definition_and_policy_version() -> None:
    doc = flow(
        stage(("cab", 1), name="CAB"),
        channel="C0CAB",
        apply="auto",
        dry_run_ttl="10m",
        reminder_after="1h",
    )
    doc["defaults"] = {"approval_timeout": "48h", "reminder_after": "off", "on_timeout": "draft"}
    text = yaml.safe_dump(doc)
    policy = parse(text)
    snapshot = policy.select(change(), NO_LABELS, frozenset())
    assert snapshot.name == "w"
    assert snapshot.stages == (Stage("CAB", (Requirement("cab", 1),)),)
    assert snapshot.channel == "C0CAB"
    assert snapshot.apply_mode is ApplyMode.AUTO
    assert snapshot.policy_version == hashlib.sha256(text.encode()).hexdigest()
    assert snapshot.timing.dry_run_ttl == timedelta(minutes=10)
    assert snapshot.timing.approval_timeout == timedelta(hours=48)
    assert snapshot.timing.on_timeout is OnTimeout.DRAFT
    assert snapshot.timing.reminder_after == timedelta(hours=1)
    assert snapshot.timing.late_apply_grace == timedelta(minutes=15)
    assert policy.defaults.reminder_after is None


def test_a_stage_carries_its_denial_message_and_a_bad_one_is_refused() -> None:
    message = "CAB meets Thursdays; resubmit with a maintenance window"
    policy = parse(flow(stage(("seniors", 1)), stage(("cab", 1), denial_message=message)))
    assert [s.denial_message for s in policy.workflows[0].stages] == ["", message]
    assert errors_of(flow(stage(("cab", 1), denial_message=" "))) == [
        "test.yaml: workflows[0].stages[0].denial_message: must be a non-empty text, not the "
        "text ' '; write one line, e.g. \"CAB meets Thursdays; resubmit with a window\""]
    [long] = errors_of(flow(stage(("cab", 1), denial_message="x" * 1001)))
    assert "denial_message: is 1001 characters long, more than 1000" in long


def test_stage_names_default_to_their_position() -> None:
    policy = parse(flow(stage(("seniors", 1)), stage(("cab", 1))))
    assert [s.name for s in policy.workflows[0].stages] == ["Stage 1", "Stage 2"]


# --- submit rules --------------------------------------------------------------------------------


def test_scenario_26_contractors_may_not_reload_core_routers() -> None:
    policy = load_policy(EXAMPLE)
    with pytest.raises(SubmitDenied) as info:
        policy.check_submit("core-router", "reload", frozenset({"contractors"}))
    assert info.value.message == (
        "denied by policy: members of contractors may not submit core-router/reload"
    )
    policy.check_submit("core-router", "update", frozenset({"contractors"}))
    policy.check_submit("core-router", "reload", frozenset({"senior-network-engineers"}))


def test_deny_beats_submit_and_submit_rules_restrict_to_their_groups() -> None:
    policy = parse(
        data(
            submit_rules=[
                {"groups": ["seniors", "cab"], "family": "firewall*", "policy": "submit"},
                {
                    "groups": ["contractors"],
                    "family": "firewall*",
                    "action": "push",
                    "policy": "deny",
                },
            ]
        )
    )
    with pytest.raises(SubmitDenied, match="members of contractors may not submit firewall/push"):
        policy.check_submit("firewall", "push", frozenset({"seniors", "contractors"}))
    with pytest.raises(
        SubmitDenied, match=r"only members of cab, seniors may submit firewall\.v6/add"
    ):
        policy.check_submit("firewall.v6", "add", frozenset({"neteng"}))
    policy.check_submit("firewall", "add", frozenset({"seniors", "contractors"}))
    policy.check_submit("bgp", "push", frozenset())


def test_without_submit_rules_anyone_may_submit() -> None:
    parse(data()).check_submit("core-router", "reload", frozenset())


def test_static_groups_of_lists_only_explicit_members() -> None:
    policy = parse(data(groups={**BASE["groups"], "both": {"members": ["n1", "c1"]}}))
    assert policy.static_groups_of("n1") == {"seniors", "both"}
    assert policy.static_groups_of("e1") == frozenset()


# --- the example file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "name", "stages"),
    [
        ("low", "low", ()),
        ("medium", "medium", (Stage("Stage 1", (Requirement("network-engineers", 1),)),)),
        ("high", "high", (Stage("Stage 1", (Requirement("senior-network-engineers", 2),)),)),
        (
            "critical",
            "critical",
            (
                Stage("Senior review", (Requirement("senior-network-engineers", 2),)),
                Stage("Change Advisory Board", (Requirement("change-advisory-board", 1),)),
            ),
        ),
    ],
)
def test_the_example_selects_by_risk(risk: str, name: str, stages: tuple[Stage, ...]) -> None:
    policy = load_policy(EXAMPLE)
    snapshot = policy.select(change(risk), NO_LABELS, frozenset())
    assert (snapshot.name, snapshot.stages) == (name, stages)
    assert snapshot.channel == ("C0CAB" if risk == "critical" else None)
    assert snapshot.policy_version == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()


def test_the_example_is_checked_against_live_slack_group_sizes() -> None:
    assert load_policy(EXAMPLE, {"S01NETENG": 1}).groups["network-engineers"].members is None
    with pytest.raises(PolicyError, match=r"workflows\[2\].stages\[0\].require\[0\].count: 1"):
        load_policy(EXAMPLE, {"S01NETENG": 0})


def test_the_policy_reference_includes_the_example_verbatim() -> None:
    reference = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8") in reference
