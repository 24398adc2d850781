"""Policy keys for executors, family bindings and escalation: parsing and every validation error."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
import yaml

from workflow.executor_spec import CommandSpec, ExternalSpec, WebhookSpec
from workflow.model import Content, Escalation, Metadata, Risk
from workflow.policy import Policy, PolicyError, parse_policy

Data = dict[str, Any]

BASE: Data = {
    "groups": {"seniors": {"members": ["n1", "n2", "n3"]}, "managers": {"members": ["m1"]}},
    "workflows": [{"name": "all", "priority": 10,
                   "stages": [{"require": [{"group": "seniors", "count": 1}]}]}],
}
EXECUTORS: Data = {
    "netops": {"kind": "webhook", "url": "https://netops.example/cg",
               "secret_env": "NETOPS_SECRET", "timeout": "20s"},
    "script": {"kind": "command", "argv": ["/usr/local/bin/push", "--verbose"],
               "timeout": "2m", "max_output": "1MB", "pass_env": ["DEVICE_TOKEN"]},
    "pipeline": {"kind": "external"},
}


def doc(**sections: Any) -> Data:
    result = copy.deepcopy(BASE)
    result.update(sections)
    return result


def parse(data: Data) -> Policy:
    return parse_policy(yaml.safe_dump(data, sort_keys=False), "test.yaml")


def errors_of(data: Data) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse(data)
    return info.value.errors


def content(family: str) -> Content:
    return Content(family, "update", "edge-1", Risk.HIGH, "x")


def test_executors_are_parsed_with_their_settings() -> None:
    policy = parse(doc(executors=EXECUTORS, families={"bgp": {"executor": "netops"}}))
    specs = policy.executors.executors
    assert specs["netops"] == WebhookSpec("netops", "https://netops.example/cg", "NETOPS_SECRET",
                                          timedelta(seconds=20))
    assert specs["script"] == CommandSpec("script", ("/usr/local/bin/push", "--verbose"),
                                          timedelta(minutes=2), 1024 * 1024, ("DEVICE_TOKEN",))
    assert specs["pipeline"] == ExternalSpec("pipeline")


def test_defaults_of_optional_executor_keys() -> None:
    policy = parse(doc(executors={"s": {"kind": "command", "argv": ["x"]},
                                  "w": {"kind": "webhook", "url": "http://localhost:8080/x",
                                        "secret_env": "S"}}))
    script = policy.executors.executors["s"]
    assert isinstance(script, CommandSpec)
    assert script.timeout == timedelta(minutes=5) and script.max_output == 16 * 1024 * 1024
    hook = policy.executors.executors["w"]
    assert isinstance(hook, WebhookSpec) and hook.timeout == timedelta(seconds=30)


def test_family_binding_exact_then_glob_then_default() -> None:
    policy = parse(doc(executors=EXECUTORS, families={
        "dns.*": {"executor": "script"},
        "dns.zone": {"executor": "netops"},
        "default": {"executor": "pipeline"},
    }))
    named = policy.executors.executors
    assert policy.executor_for("dns.zone") == named["netops"]
    assert policy.executor_for("dns.record") == named["script"]
    assert policy.executor_for("bgp") == ExternalSpec("pipeline")


def test_default_executor_key_and_nothing_bound() -> None:
    policy = parse(doc(executors=EXECUTORS, default_executor="script"))
    assert policy.executor_for("anything") == policy.executors.executors["script"]
    assert parse(doc()).executor_for("bgp") is None


def test_the_bound_executor_name_is_copied_into_the_snapshot() -> None:
    policy = parse(doc(executors=EXECUTORS, families={"bgp": {"executor": "netops"}}))
    assert policy.select(content("bgp"), Metadata("t"), frozenset()).executor == "netops"
    assert policy.select(content("ospf"), Metadata("t"), frozenset()).executor is None


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"families": {"bgp": {"executor": "nope"}}},
         "test.yaml: families.bgp.executor: unknown executor 'nope'; define it under executors, "
         "or use a defined one (netops, pipeline, script)"),
        ({"families": {"bgp": "netops"}},
         "test.yaml: families.bgp: must be a mapping, not the text 'netops'; "
         "write {executor: NAME}"),
        ({"families": {"bgp": {}}}, "test.yaml: families.bgp.executor: is missing"),
        ({"families": {"bgp": {"executor": "netops", "timeout": "1m"}}},
         "test.yaml: families.bgp.timeout: unknown key 'timeout'"),
        ({"default_executor": "ghost"}, "test.yaml: default_executor: unknown executor 'ghost'"),
        ({"default_executor": "script", "families": {"default": {"executor": "netops"}}},
         "test.yaml: default_executor: is given together with families.default; keep only one"),
    ],
)
def test_binding_errors_name_the_key_path(sections: Data, expected: str) -> None:
    problems = errors_of(doc(executors=EXECUTORS, **sections))
    assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"url": "https://x"}, "executors.e.kind: is missing; add kind: one of webhook, command"),
        ({"kind": "ssh"}, "executors.e.kind: the text 'ssh' is not allowed; use one of: webhook"),
        ({"kind": "webhook", "secret_env": "S"}, "executors.e.url: is missing"),
        ({"kind": "webhook", "url": "http://netops.example/x", "secret_env": "S"},
         "executors.e.url: 'http://netops.example/x' is plain HTTP"),
        ({"kind": "webhook", "url": "netops.example", "secret_env": "S"},
         "executors.e.url: 'netops.example' is not an http(s) URL"),
        ({"kind": "webhook", "url": "https://u:p@netops.example/x", "secret_env": "S"},
         "executors.e.url: carries a user name or password"),
        ({"kind": "webhook", "url": "https://netops.example/cg\nX-Injected: 1", "secret_env": "S"},
         "executors.e.url: 'https://netops.example/cg\\nX-Injected: 1' contains the control "
         "character '\\n'"),
        ({"kind": "webhook", "url": "https://netops.example/a\u202eb", "secret_env": "S"},
         "executors.e.url: 'https://netops.example/a\\u202eb' contains the control character"),
        ({"kind": "webhook", "url": "https://netops .example/cg", "secret_env": "S"},
         "executors.e.url: 'https://netops .example/cg' contains a space"),
        ({"kind": "webhook", "url": "https://[::1/cg", "secret_env": "S"},
         "executors.e.url: 'https://[::1/cg' is not an http(s) URL"),
        ({"kind": "webhook", "url": "https://netops.example:99999/cg", "secret_env": "S"},
         "executors.e.url: 'https://netops.example:99999/cg' is not an http(s) URL"),
        ({"kind": "webhook", "url": "https://netops.example:0/cg", "secret_env": "S"},
         "executors.e.url: 'https://netops.example:0/cg' is not an http(s) URL"),
        ({"kind": "webhook", "url": "https://x.example"}, "executors.e.secret_env: is missing"),
        ({"kind": "webhook", "url": "https://x.example", "secret_env": "my-secret"},
         "executors.e.secret_env: 'my-secret' is not a valid environment variable name"),
        ({"kind": "webhook", "url": "https://x.example", "secret_env": "S", "timeout": "0s"},
         "executors.e.timeout: must be longer than zero"),
        ({"kind": "webhook", "url": "https://x.example", "secret_env": "S", "argv": ["x"]},
         "executors.e.argv: unknown key 'argv'"),
        ({"kind": "command"}, "executors.e.argv: is missing; write a list such as"),
        ({"kind": "command", "argv": "/bin/push --all"},
         "executors.e.argv: must be a non-empty list of arguments, not the text '/bin/push --all'"),
        ({"kind": "command", "argv": []}, "executors.e.argv: must be a non-empty list"),
        ({"kind": "command", "argv": ["/bin/push", 3]},
         "executors.e.argv[1]: must be text, not the number 3; quote it"),
        ({"kind": "command", "argv": ["/bin/push", "a\0b"]},
         "executors.e.argv[1]: contains a NUL character"),
        ({"kind": "webhook", "url": "https://x.example", "secret_env": "S", "timeout": "9999d"},
         "executors.e.timeout: 9999d is longer than ten years"),
        ({"kind": "command", "argv": ["x"], "max_output": "lots"},
         "executors.e.max_output: the text 'lots' is not a size"),
        ({"kind": "command", "argv": ["x"], "max_output": 10},
         "executors.e.max_output: 10 bytes is too small"),
        ({"kind": "command", "argv": ["x"], "pass_env": ["OK", "not ok"]},
         "executors.e.pass_env[1]: 'not ok' is not a valid environment variable name"),
        ({"kind": "external", "url": "https://x"}, "executors.e.url: unknown key 'url'"),
        ("webhook", "executors.e: must be a mapping, not the text 'webhook'"),
    ],
)
def test_executor_errors_name_the_key_path_and_fix(spec: object, expected: str) -> None:
    problems = errors_of(doc(executors={"e": spec}))
    assert any(p.startswith(f"test.yaml: {expected}") for p in problems), problems


def test_sizes_accept_units() -> None:
    for size, expected in (("512KB", 512 * 1024), ("2MiB", 2 * 1024**2), (4096, 4096)):
        policy = parse(doc(executors={"e": {"kind": "command", "argv": ["x"],
                                            "max_output": size}}))
        spec = policy.executors.executors["e"]
        assert isinstance(spec, CommandSpec) and spec.max_output == expected


# --- escalation ----------------------------------------------------------------------------------


def escalating(**keys: Any) -> Data:
    workflow = {**BASE["workflows"][0], **keys}
    return doc(workflows=[workflow])


def test_escalation_keys_are_copied_into_the_snapshot() -> None:
    policy = parse(escalating(escalate_to="managers", escalate_after=2))
    snapshot = policy.select(content("bgp"), Metadata("t"), frozenset())
    assert snapshot.escalation == Escalation("managers", 2)
    assert parse(doc()).select(content("bgp"), Metadata("t"), frozenset()).escalation is None


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"escalate_to": "bosses", "escalate_after": 2},
         "workflows[0].escalate_to: unknown group 'bosses'; define it under groups"),
        ({"escalate_to": "managers"},
         "workflows[0].escalate_after: is missing; add escalate_after: N"),
        ({"escalate_after": 2}, "workflows[0].escalate_to: is missing"),
        ({"escalate_to": "managers", "escalate_after": 0},
         "workflows[0].escalate_after: 0 is less than 1; use 1 or more"),
        ({"escalate_to": "managers", "escalate_after": "2"},
         "workflows[0].escalate_after: must be a whole number, not the text '2'"),
        ({"escalate_to": "managers", "escalate_after": 2, "reminder_after": "off"},
         "workflows[0].escalate_to: escalation counts reminders, but reminder_after is off"),
        ({"escalate_to": "managers", "escalate_after": 2, "stages": []},
         "workflows[0].escalate_to: this workflow has no stages to escalate"),
        ({"escalate_to": "managers", "escalate_afterr": 2},
         "workflows[0].escalate_afterr: unknown key 'escalate_afterr'; did you mean "
         "'escalate_after'?"),
    ],
)
def test_escalation_errors_name_the_key_path(keys: Data, expected: str) -> None:
    problems = errors_of(escalating(**keys))
    assert any(p.startswith(f"test.yaml: {expected}") for p in problems), problems
