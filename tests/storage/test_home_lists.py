"""App Home lists on SQL storage: counts cover every matching change, however many there are,
escalation widens who a change waits for, and a comment alone makes a change involve you."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.outbound.homepub import SCAN_LIMIT, HomePublisher
from bot.slack.rendering.home import AWAITING, DECIDED, MINE
from storage.memory.cards import MemoryCardStore
from storage.sql.change_queries import SqlChangeQueries
from storage.sql.engines import Database
from storage.sql.queries import Queries
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.support.policies import SCENARIO_POLICY
from tests.support.reviews import approve_seen
from tests.support.world import World, lookup_usergroup
from workflow.commands import Command, Create, RecordDryRun, Submit
from workflow.directory import PolicyDirectory
from workflow.model import State
from workflow.writer import decide_all

ESCALATING = SCENARIO_POLICY.replace(
    "  - {name: high, priority: 20, match: {risk: high},\n",
    "  - {name: high, priority: 20, match: {risk: high},\n"
    "     escalate_to: change-advisory-board, escalate_after: 1,\n",
)


@pytest.fixture
def world(db: Database) -> World:
    return World(uow=SqlUnitOfWorkFactory(db))


@pytest.fixture
def homes(db: Database, world: World) -> HomePublisher:
    directory = PolicyDirectory(lambda: world.policy, lookup_usergroup)
    return HomePublisher(AsyncWebClient(token="xoxb-test"), SqlChangeQueries(Queries(db)),
                         directory, MemoryCardStore())


def ids(changes: object) -> list[str]:
    return [c.id for c in changes]  # type: ignore[attr-defined]


async def in_review(world: World, count: int) -> list[str]:
    """`count` high-risk changes by `req` in review, oldest first; all but the first are saved
    in one transaction, as that many proposals would save them."""
    first = await world.propose("high")
    assert first.workflow is not None
    made = [first.id]
    async with world.uow() as uow:
        for _ in range(count - 1):
            change_id = await uow.changes.next_id()
            commands: list[Command] = [Create(change_id, "req", first.content, first.metadata),
                                       RecordDryRun(change_id, "req", "+ neighbor"),
                                       Submit(change_id, "req", first.workflow)]
            await uow.changes.add(decide_all(None, commands, world.clock.now()).change)
            made.append(change_id)
        await uow.commit()
    return made


async def test_awaiting_counts_every_waiting_change_beyond_the_scan_limit(
    world: World, homes: HomePublisher
) -> None:
    """The tab's count once stopped at the newest SCAN_LIMIT changes in review; it must count
    all of them and list the oldest first, leaving out what four eyes or a response excludes."""
    waiting = await in_review(world, SCAN_LIMIT + 5)
    answered = await world.propose("high")
    await approve_seen(world.engine, answered.id, "n1")
    own = await world.propose("high", actor="n1")

    lists = await homes.lists("n1")
    assert lists[AWAITING].total == SCAN_LIMIT + 5
    assert ids(lists[AWAITING].items) == waiting[:SCAN_LIMIT]
    first = (await homes.lists("n1", {AWAITING: 2}))[AWAITING]
    assert (first.total, ids(first.items)) == (SCAN_LIMIT + 5, waiting[:2])
    other = (await homes.lists("n2", {AWAITING: 1}))[AWAITING]
    assert other.total == SCAN_LIMIT + 7  # n2 waits on n1's change and the one n1 answered
    assert own.id not in ids(lists[AWAITING].items)
    assert (await homes.lists("req", {MINE: 1}))[MINE].total == SCAN_LIMIT + 6


async def test_awaiting_includes_changes_escalated_to_the_persons_group(
    world: World, homes: HomePublisher
) -> None:
    """Once a stage is escalated, the escalation group may approve, so it must see the change."""
    world.use_policy(ESCALATING)
    cr = await world.propose("high")
    assert (await homes.lists("c1"))[AWAITING].total == 0  # CAB only: not a senior
    world.clock.advance(hours=4)
    await world.engine.fire_deadline(cr.id)  # the first reminder escalates the stage
    page = (await homes.lists("c1"))[AWAITING]
    assert (page.total, ids(page.items)) == (1, [cr.id])


async def test_a_change_the_person_only_commented_on_involves_them(
    db: Database, world: World, homes: HomePublisher
) -> None:
    """A commenter is neither requester, author nor approver; past review, the change must
    still be in their decided list, and in what involves them throughout."""
    cr = await world.propose("high")
    await world.engine.comment(cr.id, "x", "checked the peer AS with the upstream")
    untouched = await world.propose("high")
    queries = SqlChangeQueries(Queries(db))
    assert ids(await queries.involving("x", 10)) == [cr.id]
    assert (await homes.lists("x"))[DECIDED].total == 0  # still in review

    for change_id in (cr.id, untouched.id):
        await approve_seen(world.engine, change_id, "n1")
        assert (await approve_seen(world.engine, change_id, "n2")).state is State.APPROVED
    lists = await homes.lists("x")
    assert (lists[DECIDED].total, ids(lists[DECIDED].items)) == (1, [cr.id])
    assert (lists[AWAITING].total, lists[MINE].total) == (0, 0)
    assert ids(await queries.involving("x", 10)) == [cr.id]
