"""`post_review: required` and `post_review_due` in the policy: parsed, inherited, checked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.policies import SCENARIO_POLICY
from workflow.policy import PolicyError, parse_policy

LOW = "  - {name: low, priority: 40, match: {risk: low}, stages: []}"


def due_of(text: str, name: str = "low") -> timedelta | None:
    policy = parse_policy(text, "policy.yaml")
    return next(w.timing.post_review_due for w in policy.workflows if w.name == name)


def test_required_takes_its_due_or_a_day_and_optional_is_the_default() -> None:
    with_due = SCENARIO_POLICY.replace(LOW, LOW[:-1] + ", post_review: required, "
                                       "post_review_due: 4h}")
    without = SCENARIO_POLICY.replace(LOW, LOW[:-1] + ", post_review: required}")

    assert due_of(with_due) == timedelta(hours=4)
    assert due_of(without) == timedelta(hours=24)
    assert due_of(SCENARIO_POLICY) is None


def test_defaults_require_it_everywhere_and_a_workflow_may_opt_out() -> None:
    text = SCENARIO_POLICY.replace("defaults:\n", "defaults:\n  post_review: required\n", 1)
    text = text.replace(LOW, LOW[:-1] + ", post_review: optional}")

    assert due_of(text, "high") == timedelta(hours=24)
    assert due_of(text) is None


def test_a_due_without_a_required_review_names_the_key_path() -> None:
    text = SCENARIO_POLICY.replace(LOW, LOW[:-1] + ", post_review_due: 4h}")

    with pytest.raises(PolicyError) as refused:
        parse_policy(text, "policy.yaml")

    assert any("post_review_due" in e and "post_review: required" in e
               for e in refused.value.errors)
