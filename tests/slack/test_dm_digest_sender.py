"""The digest sender on its own: the threshold, one post then updates only when the digest shows
something else, and two replicas posting a person's first digest at once keeping one."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from bot.slack.outbound.card_updates import CardUpdates
from bot.slack.outbound.dm_digest import DIGEST_ABOVE, MOVED, ApproverDigests
from storage.memory.dm_digests import MemoryDmDigests
from storage.ports.change_queries import ChangeQueries
from storage.reads import Page
from tests.support.builders import pending
from workflow.model import ChangeRequest, Metadata
from workflow.ports import Directory


class Awaiting:
    """What awaits each person, oldest first; the only query the sender makes."""

    def __init__(self) -> None:
        self.lists: dict[str, list[ChangeRequest]] = {}

    async def awaiting(self, person: str, groups: frozenset[str], limit: int) -> Page:
        found = self.lists.get(person, [])
        return Page(len(found), found[:limit])


class Groups:
    async def groups_of(self, person: str) -> frozenset[str]:
        return frozenset({"seniors"})


class Slack:
    """chat.postMessage and chat.update, recorded; `hold` keeps posts until set."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Mapping[str, Any]]] = []
        self.updates: list[tuple[str, str, Mapping[str, Any]]] = []
        self.hold: asyncio.Event | None = None
        self.held = 0
        self.all_held = asyncio.Event()  # set once two posts are held

    async def post(self, channel: str, **message: Any) -> dict[str, Any] | None:
        if self.hold is not None:
            self.held += 1
            if self.held == 2:
                self.all_held.set()
            await self.hold.wait()
        self.posts.append((channel, message))
        return {"channel": channel, "ts": f"{len(self.posts)}.0"}

    async def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        self.updates.append((channel, ts, message))

    def sender(self, queries: Awaiting, store: MemoryDmDigests) -> ApproverDigests:
        return ApproverDigests(cast(ChangeQueries, queries), cast(Directory, Groups()), store,
                               self.post, CardUpdates(self.update))


def changes(n: int) -> list[ChangeRequest]:
    first = pending()
    return [replace(first, id=f"CHG-{i}", metadata=Metadata(f"Change {i}"))
            for i in range(1, n + 1)]


async def test_above_the_threshold_one_digest_is_posted_then_only_updated() -> None:
    queries, store, slack = Awaiting(), MemoryDmDigests(), Slack()
    digests = slack.sender(queries, store)
    queries.lists["U1"] = changes(DIGEST_ABOVE)
    assert await digests.take("U1", "D1") is None  # not above: a card instead
    assert slack.posts == [] and await store.digests(["U1"]) == []

    queries.lists["U1"] = changes(DIGEST_ABOVE + 1)
    assert await digests.take("U1", "D1") == "1.0"
    assert [m["text"] for _, m in slack.posts] == [f"{DIGEST_ABOVE + 1} changes await you"]
    assert slack.updates == []  # nothing changed while it was posted

    assert await digests.take("U1", "D1") == "1.0"
    await digests.refresh(["U1", "U2"])
    assert slack.updates == [] and len(slack.posts) == 1  # unchanged: not sent again

    queries.lists["U1"] = changes(DIGEST_ABOVE + 2)
    await digests.refresh(["U1"])
    assert [(c, ts, m["text"]) for c, ts, m in slack.updates] == [
        ("D1", "1.0", f"{DIGEST_ABOVE + 2} changes await you")]
    stored = await store.digests(["U1"])
    assert [(d.channel, d.ts) for d in stored] == [("D1", "1.0")]

    queries.lists["U1"] = []
    await digests.refresh(["U1"])
    assert slack.updates[-1][2]["text"] == "Nothing awaits you"
    queries.lists["U1"] = changes(1)
    assert await digests.take("U1", "D1") is None  # kept up to date, but a card for it
    assert slack.updates[-1][2]["text"] == "1 change awaits you" and len(slack.posts) == 1


async def test_a_changed_change_it_lists_is_followed_without_naming_the_person() -> None:
    queries, store, slack = Awaiting(), MemoryDmDigests(), Slack()
    digests = slack.sender(queries, store)
    queries.lists["U1"] = changes(DIGEST_ABOVE + 1)
    await digests.take("U1", "D1")
    queries.lists["U1"][0] = replace(queries.lists["U1"][0], metadata=Metadata("Renamed"))

    await digests.refresh([], "CHG-9")
    assert slack.updates == []
    await digests.refresh([], "CHG-1")
    assert len(slack.updates) == 1 and "Renamed" in str(slack.updates[0][2]["blocks"])


async def test_replicas_posting_a_first_digest_at_once_keep_one() -> None:
    queries, store, slack = Awaiting(), MemoryDmDigests(), Slack()
    queries.lists["U1"] = changes(DIGEST_ABOVE + 1)
    one, two = slack.sender(queries, store), slack.sender(queries, store)
    slack.hold = asyncio.Event()
    both = asyncio.gather(one.take("U1", "D1"), two.take("U1", "D1"))
    await slack.all_held.wait()  # both are posting
    slack.hold.set()

    assert list(await both) == ["1.0", "1.0"]
    assert len(slack.posts) == 2
    assert [(ts, m["text"]) for _, ts, m in slack.updates] == [("2.0", MOVED)]
    assert [d.ts for d in await store.digests(["U1"])] == ["1.0"]
