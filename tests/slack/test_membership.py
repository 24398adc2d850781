"""User-group membership: cached for a TTL, refreshed on demand, stale (not empty) on error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.fakeslack import FakeSlack, Workspace
from bot.slack.outbound.membership import UsergroupMembership
from tests.support.policies import SCENARIO_POLICY
from workflow.directory import PolicyDirectory
from workflow.policy import parse_policy


class Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    workspace = Workspace()
    workspace.add_usergroup("S01NETENG", "network-engineers", ["e1", "n1"])
    async with FakeSlack(workspace) as server:
        yield server


def membership(fake: FakeSlack, clock: Seconds) -> UsergroupMembership:
    client = AsyncWebClient(token=fake.workspace.bot_token, base_url=fake.api_url)
    return UsergroupMembership(client, ttl_s=300, clock=clock)


async def test_members_are_cached_for_the_ttl(fake: FakeSlack) -> None:
    clock = Seconds()
    groups = membership(fake, clock)

    first = await groups.members("S01NETENG")
    fake.workspace.usergroups["S01NETENG"].users.append("e2")
    clock.now = 299
    cached = await groups.members("S01NETENG")
    clock.now = 300
    fetched = await groups.members("S01NETENG")

    assert first == cached == {"e1", "n1"}
    assert fetched == {"e1", "n1", "e2"}
    assert len(fake.calls_to("usergroups.users.list")) == 2


async def test_refresh_asks_slack_at_once(fake: FakeSlack) -> None:
    groups = membership(fake, Seconds())
    await groups.members("S01NETENG")
    fake.workspace.usergroups["S01NETENG"].users.remove("n1")

    assert await groups.refresh("S01NETENG") == {"e1"}


async def test_a_failed_lookup_keeps_the_last_members_or_none(fake: FakeSlack) -> None:
    clock = Seconds()
    groups = membership(fake, clock)
    await groups.members("S01NETENG")
    clock.now = 1000
    fake.fail_next("usergroups.users.list", status=200, error="fatal_error")

    assert await groups.members("S01NETENG") == {"e1", "n1"}
    assert await groups.members("S0UNKNOWN") == frozenset()


async def test_it_plugs_into_the_policy_directory(fake: FakeSlack) -> None:
    policy = parse_policy(SCENARIO_POLICY)
    directory = PolicyDirectory(lambda: policy, membership(fake, Seconds()))

    assert await directory.groups_of("e1") == {"network-engineers"}
    assert await directory.groups_of("n1") == {"network-engineers", "senior-network-engineers"}
