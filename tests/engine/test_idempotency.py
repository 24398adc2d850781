"""One change per (requester, idempotency key): a replay is told apart from the create it repeats,
and a key reused for another request is refused, on every backend and under concurrency."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

import pytest

from tests.support.backends import Backend
from tests.support.world import World
from workflow.engine import Proposed
from workflow.errors import IdempotencyKeyReused
from workflow.model import Content, Metadata, Risk, State

CONTENT = Content("bgp", "update", "edge-1", Risk.HIGH, "neighbor 192.0.2.1 remote-as 65001",
                  "no neighbor 192.0.2.1")
METADATA = Metadata("Peer with AS65001", "", "CHG-3192")
OUTPUT = "+ neighbor 192.0.2.1 remote-as 65001"
KEY = "pipeline-4711"


async def propose(world: World, *, content: Content = CONTENT, metadata: Metadata = METADATA,
                  dry_run: str | None = OUTPUT, submit: bool = True) -> Proposed:
    return await world.engine.propose_once("req", content, metadata, idempotency_key=KEY,
                                           dry_run_output=dry_run, submit=submit)


async def kinds(backend: Backend) -> Counter[str]:
    return Counter(str(row.record["kind"]) for row in await backend.audit_rows())


async def test_a_replay_gives_the_change_and_says_it_created_nothing(
    backend: Backend, world: World
) -> None:
    first = await propose(world)
    again = await propose(world)

    assert (first.created, again.created) == (True, False)
    assert again.change.id == first.change.id
    assert again.change.state is State.PENDING_REVIEW
    assert (await kinds(backend))["proposed"] == 1


OTHER_REQUESTS = {
    "content": {"content": replace(CONTENT, target="edge-2")},
    "metadata": {"metadata": replace(METADATA, title="Peer with AS65002")},
    "dry-run output": {"dry_run": "+ neighbor 192.0.2.2"},
    "no dry-run": {"dry_run": None},
    "submit flag": {"submit": False},
}


@pytest.mark.parametrize("differs", OTHER_REQUESTS)
async def test_a_key_reused_for_another_request_is_refused_and_audited(
    backend: Backend, world: World, differs: str
) -> None:
    first = await propose(world)

    with pytest.raises(IdempotencyKeyReused) as reused:
        await propose(world, **OTHER_REQUESTS[differs])  # type: ignore[arg-type]

    assert first.change.id in reused.value.message
    assert reused.value.reason == "idempotency_key_reused"
    assert await world.get(first.change.id) == first.change
    rows = await backend.audit_rows()
    assert Counter(str(r.record["kind"]) for r in rows)["proposed"] == 1
    refused = [r.record for r in rows if r.record["kind"] == "refused"]
    assert [(r["change_id"], r["data"]["reason"]) for r in refused] == [
        (first.change.id, "idempotency_key_reused")]


async def test_forty_proposals_at_once_under_one_key_create_once(
    backend: Backend, world: World
) -> None:
    other = replace(CONTENT, payload="neighbor 192.0.2.66 remote-as 65066")
    contents = [CONTENT if i % 2 else other for i in range(40)]
    engines = [world.engine, world.new_engine()]  # as two replicas would

    results = await asyncio.gather(*(
        engines[i % 2].propose_once("req", c, METADATA, idempotency_key=KEY,
                                    dry_run_output=OUTPUT, submit=True)
        for i, c in enumerate(contents)), return_exceptions=True)

    created = [r for r in results if isinstance(r, Proposed) and r.created]
    assert len(created) == 1
    winner = created[0].change
    for content, result in zip(contents, results, strict=True):
        if content == winner.content:
            assert isinstance(result, Proposed) and result.change.id == winner.id
        else:
            assert isinstance(result, IdempotencyKeyReused), result
    assert (await kinds(backend))["proposed"] == 1
