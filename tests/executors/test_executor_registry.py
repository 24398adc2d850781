"""The registry the engine asks for a change's executor, built from the policy."""

from __future__ import annotations

from dataclasses import replace

from bot.executors import CommandExecutor, PolicyExecutorRegistry, WebhookExecutor
from bot.executors.registry import Unavailable
from tests.executors.programs import policy_with
from tests.support.builders import pending
from workflow.executor_spec import ExternalSpec
from workflow.model import ChangeRequest
from workflow.policy import Policy, parse_policy

EXECUTORS = {
    "script": {"kind": "command", "argv": ["/usr/local/bin/push"]},
    "hook": {"kind": "webhook", "url": "https://netops.example/cg", "secret_env": "HOOK_SECRET"},
    "pipeline": {"kind": "external"},
}


def policy(families: dict[str, object]) -> Policy:
    return parse_policy(policy_with(EXECUTORS, families), "registry.yaml")


def draft() -> ChangeRequest:
    return replace(pending(), workflow=None)


def test_a_draft_uses_the_family_binding_and_a_submitted_change_its_snapshot() -> None:
    current = policy({"bgp": {"executor": "script"}})
    registry = PolicyExecutorRegistry(lambda: current, {})
    assert isinstance(registry.for_change(draft()), CommandExecutor)
    submitted = pending()
    assert submitted.workflow is not None
    pinned = replace(submitted, workflow=replace(
        submitted.workflow, executor="pipeline", executor_kind="external",
        executor_spec=ExternalSpec("pipeline")))
    assert registry.for_change(pinned) is None  # external: a pipeline reports
    assert registry.for_change(submitted) is None  # submitted with none: the binding never counts
    assert registry.for_change(draft()) is registry.for_change(draft())  # built once


def test_a_change_stored_before_executors_were_kept_runs_its_named_one_while_of_its_kind(
) -> None:
    current = policy({"bgp": {"executor": "script"}})
    registry = PolicyExecutorRegistry(lambda: current, {})
    submitted = pending()
    assert submitted.workflow is not None
    named = replace(submitted.workflow, executor="script", executor_kind="command")
    assert isinstance(registry.for_change(replace(submitted, workflow=named)), CommandExecutor)
    other_kind = replace(named, executor_kind="external")
    assert isinstance(registry.for_change(replace(submitted, workflow=other_kind)), Unavailable)


def test_unbound_families_and_external_executors_give_none() -> None:
    assert PolicyExecutorRegistry(lambda: policy({}), {}).for_change(draft()) is None
    bound = policy({"default": {"executor": "pipeline"}})
    assert PolicyExecutorRegistry(lambda: bound, {}).for_change(draft()) is None


def test_a_webhook_becomes_usable_once_its_secret_is_set() -> None:
    environ: dict[str, str] = {}
    registry = PolicyExecutorRegistry(lambda: policy({"bgp": {"executor": "hook"}}), environ)
    assert isinstance(registry.for_change(draft()), Unavailable)
    assert registry.problems() != []
    environ["HOOK_SECRET"] = "s3cret"
    assert isinstance(registry.for_change(draft()), WebhookExecutor)
    assert registry.problems() == []
