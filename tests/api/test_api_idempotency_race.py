"""Forty creates at once under one Idempotency-Key, spread over two replicas of the API on one
database: exactly one creates, the same request replays, another request is refused (×50)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.api.harness import OUTPUT, REQ, ApiWorld, api_over, change_body
from tests.support.databases import SQL_BACKENDS, fresh_database

REPETITIONS = 50
CONCURRENT = 40
pytestmark = pytest.mark.asyncio(loop_scope="module")
Body = dict[str, Any]

# A request differing from the first in one thing that shapes the change.
OTHER_REQUESTS: tuple[Callable[[Body], Body], ...] = (
    lambda body: {**body, "target": "edge-2"},
    lambda body: {**body, "title": body["title"] + " (again)"},
    lambda body: {**body, "dry_run": {"output": OUTPUT + "\n+ bfd"}},
    lambda body: {**body, "submit": False},
)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=SQL_BACKENDS)
async def replicas(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> AsyncIterator[tuple[ApiWorld, ApiWorld]]:
    """Two API servers, each with its own engine, on one database; every repetition uses a key
    of its own, so they can share it."""
    kind = request.param
    directory: Path = tmp_path_factory.mktemp("db")
    async with fresh_database(kind, directory) as db, api_over(kind, db) as first, \
            api_over(kind, db, tokens=first.tokens) as second:
        yield first, second


@pytest.mark.parametrize("repetition", range(REPETITIONS))
async def test_forty_creates_at_once_under_one_key_create_exactly_once(
    replicas: tuple[ApiWorld, ApiWorld], repetition: int
) -> None:
    key = {"Idempotency-Key": f"race-{repetition}-{uuid.uuid4().hex[:8]}"}
    first = change_body(title=f"Race {repetition}", dry_run={"output": OUTPUT}, submit=True)
    other = OTHER_REQUESTS[repetition % len(OTHER_REQUESTS)](first)
    bodies = [other if i % 3 == 0 else first for i in range(CONCURRENT)]
    before = await replicas[0].change_count()

    answers = await asyncio.gather(*(
        replicas[i % 2].call("POST", "/changes", REQ, body=body, headers=key)
        for i, body in enumerate(bodies)))

    created = [i for i, a in enumerate(answers) if a.status == 201]
    assert len(created) == 1, [a.status for a in answers]
    winner, made = bodies[created[0]], answers[created[0]].body
    for i, (body, answer) in enumerate(zip(bodies, answers, strict=True)):
        if i == created[0]:
            continue
        if body == winner:
            assert answer.status == 200, answer.body
            assert answer.headers["Idempotent-Replayed"] == "true"
            assert answer.body == made
        else:
            assert (answer.status, answer.reason) == (409, "idempotency_key_reused"), answer.body
            assert answer.media == "application/problem+json"
            assert made["id"] in answer.body["detail"]
    assert await replicas[1].change_count() == before + 1
    stored = await replicas[1].call("GET", f"/changes/{made['id']}", REQ)
    assert stored.body == made
