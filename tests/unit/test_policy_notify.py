"""The workflow key `notify`, its defaults, and check's warnings about approvers nobody tells."""

from __future__ import annotations

import pytest

from tests.unit.test_policy import change, errors_of, flow, parse, stage
from workflow.codec import workflow_from_dict, workflow_to_dict
from workflow.model import Metadata, Notify
from workflow.policy import Policy
from workflow.policy_reach import reach_warnings


def warnings(policy: Policy, channel: str | None = None,
             sizes: dict[str, int] | None = None) -> list[str]:
    return reach_warnings(policy.workflows, policy.groups, "test.yaml", channel, sizes)


@pytest.mark.parametrize(("notify", "channel", "expected"), [
    (None, "C0CAB", Notify.BOTH), (None, None, Notify.DM), ("channel", "C0CAB", Notify.CHANNEL),
    ("dm", "C0CAB", Notify.DM), ("both", None, Notify.BOTH),
])
def test_notify_is_copied_into_the_change_and_defaults_by_channel(
    notify: str | None, channel: str | None, expected: Notify
) -> None:
    keys = {k: v for k, v in {"notify": notify, "channel": channel}.items() if v}
    policy = parse(flow(stage(("seniors", 1)), **keys))

    snapshot = policy.select(change(), Metadata("t"), frozenset())

    assert snapshot.notifies(snapshot.channel) is expected
    assert workflow_from_dict(workflow_to_dict(snapshot)) == snapshot


def test_a_stored_workflow_without_notify_reads_as_the_default() -> None:
    snapshot = parse(flow(stage(("seniors", 1)))).select(change(), Metadata("t"), frozenset())
    stored = workflow_to_dict(snapshot)
    del stored["notify"]

    assert workflow_from_dict(stored).notify is None


def test_an_unknown_notify_names_the_key_and_the_choices() -> None:
    assert errors_of(flow(stage(("seniors", 1)), notify="email")) == [
        "test.yaml: workflows[0].notify: the text 'email' is not allowed; use one of: channel, "
        "dm, both"]


def test_check_warns_about_a_workflow_that_would_reach_no_one() -> None:
    policy = parse(flow(stage(("seniors", 1)), notify="channel"))

    assert warnings(policy) == [
        "test.yaml: workflow 'w': would reach no one: notify is channel, but it names no channel "
        "and SLACK_CHANNEL is not set; set channel: C..., or notify: dm (or both)"]
    assert warnings(policy, channel="C0CHANGES") == []


def test_check_warns_that_dms_cannot_reach_an_unresolved_slack_user_group() -> None:
    dm_only = parse(flow(stage(("neteng", 1))))
    both = parse(flow(stage(("neteng", 1), ("seniors", 1)), channel="C0CAB"))

    assert warnings(dm_only) == [
        "test.yaml: workflow 'w' stages[0] (Stage 1): may reach no one: its approvers are told "
        "by DM only, and who is in neteng (S01NETENG) is known only to Slack; run check --live "
        "to see the members, or set a channel"]
    assert warnings(dm_only, sizes={"S01NETENG": 3}) == []
    assert warnings(both, sizes={"S01NETENG": 0}) == [
        "test.yaml: workflow 'w' stages[0] (Stage 1): DMs cannot reach group neteng: Slack user "
        "group S01NETENG has no members; add members to the user group"]


def test_listed_members_and_workflows_without_stages_raise_no_warning() -> None:
    assert warnings(parse(flow(stage(("seniors", 2))))) == []
    assert warnings(parse(flow(notify="channel"))) == []
