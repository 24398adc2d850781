"""Three `changegate serve` replicas on one PostgreSQL database: clicks, API calls, applies and
deadlines spread over them, then one is killed with SIGKILL mid-load. Transitions, applies at
the executor and card posts happen exactly once; the survivors take over the dead replica's
timers, its leased outbox messages and its interrupted apply."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bench.cluster import (
    CHANNEL,
    REQUESTERS,
    REVIEWERS,
    Cluster,
    cluster_policy,
    ledger_lines,
    running_cluster,
)
from bot.outbox.relay import PARALLEL
from bot.slack.rendering.labels import state_label
from storage.sql.api_reads import SqlApiReads
from storage.sql.schema import outbox
from workflow.model import State

pytestmark = pytest.mark.postgres

WAIT_S = 60.0
TRANSITIONS = ("approved", "apply_started", "applied", "apply_unknown", "expired")


async def until(check: Callable[[], Awaitable[bool]], what: str, within_s: float = WAIT_S) -> None:
    """Poll a real observable (database rows, the ledger, the fake Slack) for a bounded time."""
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            seen = getattr(check, "seen", None)  # what was still short, when the check says
            raise AssertionError(f"timed out waiting for {what}{f'; saw {seen}' if seen else ''}")
        await asyncio.sleep(0.05)


def in_states(c: Cluster, ids_: Sequence[str], *states: State) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        seen = {cid: (await c.change(cid)).state for cid in ids_}
        check.seen = {cid: state.value for cid, state in seen.items()  # type: ignore[attr-defined]
                      if state not in states}
        return not check.seen  # type: ignore[attr-defined]
    return check


def cards_posted(c: Cluster, requester_of: dict[str, str]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(c.cards_of(cid, CHANNEL) and c.cards_of(cid, requester)
                   for cid, requester in requester_of.items())
    return check


def cards_final(c: Cluster, requester_of: dict[str, str]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        for cid, requester in requester_of.items():
            label = state_label((await c.change(cid)).state)
            for where in (CHANNEL, requester):
                if not all(label in f"{card.text}{card.blocks}" for card in c.cards_of(cid, where)):
                    return False
        return True
    return check


def outbox_drained(c: Cluster) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with c.db.reader.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(outbox).where(
                outbox.c.delivered_at.is_(None)))
        return left == 0
    return check


async def approve_by_api(c: Cluster, replica: int, reviewer: str, change_id: str) -> int:
    _, read = await c.api(replica, "GET", f"/changes/{change_id}", reviewer)
    digest = f"sha256:{read['dry_run']['digest']}" if read["dry_run"] else "none"
    status, _ = await c.api(replica, "POST", f"/changes/{change_id}/review", reviewer,
                            {"approved": True, "revision": read["revision"], "digest": digest})
    return status


async def test_replicas_keep_every_guarantee_when_one_is_killed(
    tmp_path: Path, database_url: str
) -> None:
    policy = cluster_policy(tmp_path, timeout="12s")
    async with running_cluster(tmp_path, database_url, policy=policy) as c:
        r1, r2, r3, r4, r5, *_ = REVIEWERS
        requester_of: dict[str, str] = {}

        async def propose(replica: int, **fields: str) -> str:
            requester = REQUESTERS[replica]
            change_id = await c.propose(replica, requester, **fields)
            requester_of[change_id] = requester
            return change_id

        # Deadlines armed by replica 0, which will die before they are due.
        deadlines = [await propose(0, risk="high", family="deadline", title="deadline")]
        autos = [await propose(n % 3, risk="medium", title=f"auto {n}") for n in range(4)]
        manuals = [await propose(n % 3, risk="high", title=f"manual {n}") for n in range(2)]
        slow = await propose(1, risk="high", family="slow", title="slow")  # applied by hand
        await until(cards_posted(c, requester_of), "every card and DM copy")

        # The same reviewer clicks twice on two replicas; then two reviewers complete the
        # threshold at once on two others: every approval counts once, one of the two wins
        # (the other is told the change is approved), and the change is approved once.
        for n, change_id in enumerate(autos[:2]):
            statuses = await asyncio.gather(
                c.approve(n % 3, r1, change_id),
                c.approve((n + 1) % 3, r1, change_id))
            assert statuses == [200, 200]
        for n, change_id in enumerate(autos[:2]):
            clicked, answered = await asyncio.gather(
                c.approve((n + 2) % 3, r2, change_id),
                approve_by_api(c, n % 3, r3, change_id))
            assert (clicked, answered in (200, 409)) == (200, True)
        # their applies run from the approving replica's timer: done before replica 0 dies
        await until(in_states(c, autos[:2], State.APPLIED), "the first automatic applies")

        # Replica 0 runs the slow apply and dies mid-apply. Applied by a request to replica 0,
        # not by itself: a due auto-apply may be started by any replica's sweeper first.
        assert await c.approve(2, r1, slow) == 200
        assert await approve_by_api(c, 0, r2, slow) == 200
        stuck = asyncio.create_task(c.api(0, "POST", f"/changes/{slow}/apply", r3))
        await until(lambda: _started(tmp_path, slow), "the slow apply to start on replica 0")

        async def more_load() -> None:
            for n, change_id in enumerate(autos[2:] + manuals):
                await c.approve(1 + n % 2, r4, change_id)
                await approve_by_api(c, 2 - n % 2, r5, change_id)

        load = asyncio.create_task(more_load())
        await c.kill(0)
        with contextlib.suppress(aiohttp.ClientError):
            await stuck
        await load

        # Both survivors are asked to apply each manual change at once: one apply each.
        for change_id in manuals:
            await asyncio.gather(*(c.api(r, "POST", f"/changes/{change_id}/apply", r3)
                                   for r in (1, 2)))

        await until(in_states(c, autos + manuals, State.APPLIED), "the applies")
        await until(in_states(c, deadlines, State.EXPIRED), "replica 0's deadlines")
        await until(in_states(c, [slow], State.APPLY_UNKNOWN), "the interrupted apply")
        (tmp_path / "go").write_text("")  # the orphaned slow program may finish now
        await until(lambda: _done(tmp_path), "the orphaned apply program")
        await until(outbox_drained(c), "replica 0's leased outbox messages")
        # Cards follow within chat.update's budget (Tier 3), after the outbox's replies.
        await until(cards_final(c, requester_of), "every card's final state")

        await check_exactly_once(c, tmp_path, requester_of, autos + manuals + [slow])


async def _started(directory: Path, change_id: str) -> bool:
    return any(word == "start" and key.startswith(f"{change_id}:")
               for word, key in ledger_lines(directory))


async def _done(directory: Path) -> bool:
    words = Counter(word for word, _ in ledger_lines(directory))
    return words["done"] == words["start"]


async def check_exactly_once(c: Cluster, directory: Path, requester_of: dict[str, str],
                             applied: Sequence[str]) -> None:
    reads = SqlApiReads(c.db)
    assert (await reads.verify()).ok
    events = await reads.audit(limit=None)
    kinds = Counter((row.record["change_id"], row.record["kind"]) for row in events)
    for change_id in requester_of:
        cr = await c.change(change_id)
        for kind in TRANSITIONS:
            assert kinds[(change_id, kind)] <= 1, (change_id, kind)
        approvals = {r.person for r in cr.live_responses()}
        assert kinds[(change_id, "response")] == len(approvals), change_id
        # One card in the channel and one in the requester's DM, showing the final state.
        for where in (CHANNEL, requester_of[change_id]):
            (card,) = c.cards_of(change_id, where)
            assert state_label(cr.state) in f"{card.text}{card.blocks}", (
                change_id, where, cr.state.value, card.text[:160])
    for change_id in applied:
        assert kinds[(change_id, "approved")] == kinds[(change_id, "apply_started")] == 1
    starts = Counter(key for word, key in ledger_lines(directory) if word == "start")
    started_keys = {(await c.change(cid)).apply_key() for cid in applied}
    assert set(starts) == started_keys
    assert set(starts.values()) == {1}
    repeated = Counter((m.channel, m.thread_ts, m.text) for m in c.fake.state.messages.values()
                       if m.thread_ts is not None)
    # Only what the dead replica was delivering (one reply per change, PARALLEL changes at
    # once) is told again, and only once again.
    twice = [key for key, n in repeated.items() if n > 1]
    assert all(repeated[key] == 2 for key in twice), repeated.most_common(3)
    assert len(twice) <= PARALLEL, twice
