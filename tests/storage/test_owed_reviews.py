"""Owed reviews in App Home's "Needs my action" list on SQL storage, and how the tab shows
them."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.outbound.homepub import HomePublisher
from bot.slack.rendering import ids
from bot.slack.rendering.home import NEEDS as REVIEWS
from bot.slack.rendering.home import HomeData, home_view
from bot.slack.rendering.validate import check_view
from storage.memory.cards import MemoryCardStore
from storage.memory.change_queries import MemoryChangeQueries
from storage.memory.store import MemoryUnitOfWorkFactory
from storage.sql.change_queries import SqlChangeQueries
from storage.sql.engines import Database
from storage.sql.queries import Queries
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.policies import SCENARIO_POLICY
from tests.support.world import World, lookup_usergroup
from workflow.directory import PolicyDirectory
from workflow.post_review import ReviewOutcome

REQUIRED = SCENARIO_POLICY.replace(
    "  - {name: low, priority: 40, match: {risk: low}, stages: []}",
    "  - {name: low, priority: 40, match: {risk: low}, stages: [], post_review: required}")


@pytest.fixture
def world(db: Database) -> World:
    made = World(uow=SqlUnitOfWorkFactory(db))
    made.use_policy(REQUIRED)
    return made


@pytest.fixture
def homes(db: Database, world: World) -> HomePublisher:
    directory = PolicyDirectory(lambda: world.policy, lookup_usergroup)
    return HomePublisher(AsyncWebClient(token="xoxb-test"), SqlChangeQueries(Queries(db)),
                         directory, MemoryCardStore())


async def _applied(world: World) -> str:
    cr = await world.propose("low")
    return (await world.engine.apply(cr.id, "req")).id


async def test_an_applied_change_is_listed_until_its_requester_reviews_it(
        world: World, homes: HomePublisher) -> None:
    first, second = await _applied(world), await _applied(world)
    pending = await world.propose("high")  # in review: owes nothing yet

    owed = (await homes.lists("req"))[REVIEWS]
    await world.engine.post_review(first, "req", ReviewOutcome.SUCCESSFUL, "fine")
    after = (await homes.lists("req"))[REVIEWS]

    assert (owed.total, [c.id for c in owed.items]) == (2, [second, first])  # newest first
    assert (after.total, [c.id for c in after.items]) == (1, [second])
    assert pending.id not in [c.id for c in owed.items]
    assert (await homes.lists("n1"))[REVIEWS].total == 0


async def test_the_tab_shows_the_list_only_while_a_review_is_owed(world: World) -> None:
    owed = await world.get(await _applied(world))

    shown = home_view(HomeData("req", {REVIEWS: [owed]}))
    hidden = home_view(HomeData("req", {REVIEWS: []}))

    check_view(shown)
    assert "Needs my action* (1)" in str(shown)
    assert f"changegate post-review {owed.id}" in str(shown)
    assert ids.POST_REVIEW in str(shown)  # the row's Record review button
    assert "Needs my action" not in str(hidden)


async def test_the_in_memory_list_agrees() -> None:
    world = World()
    world.use_policy(REQUIRED)
    assert isinstance(world.uow, MemoryUnitOfWorkFactory)
    queries = MemoryChangeQueries(world.uow.store)
    first, second = await _applied(world), await _applied(world)
    await world.engine.post_review(second, "req", ReviewOutcome.ROLLED_BACK, "undone")

    owed = await queries.owed_reviews("req", 10)

    assert (owed.total, [c.id for c in owed.items]) == (1, [first])
