"""One contract for every storage port, run over memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from storage.audit_chain import verify_rows
from tests.support.backends import Backend
from tests.support.samples import T0, applied, change, event
from workflow.codec import event_to_dict
from workflow.errors import ConcurrencyConflict, DuplicateRequest
from workflow.events import EventKind
from workflow.model import State
from workflow.ports import OutboxMessage


async def save(backend: Backend, *changes: object) -> None:
    async with backend.uow() as uow:
        for cr in changes:
            await uow.changes.add(cr)  # type: ignore[arg-type]
        await uow.commit()


async def test_ids_are_never_handed_out_twice(backend: Backend) -> None:
    async def one() -> str:
        async with backend.uow() as uow:
            change_id = await uow.changes.next_id()
            await uow.changes.add(change(change_id))
            await uow.commit()
            return change_id

    ids = await asyncio.gather(*(one() for _ in range(20)))
    assert len(set(ids)) == 20
    assert all(i.startswith("CHG-") for i in ids)


async def test_a_saved_change_reads_back_equal(backend: Backend) -> None:
    for cr in (change("CHG-1", key="view-1"), applied("CHG-2")):
        await save(backend, cr)
        async with backend.uow() as uow:
            assert await uow.changes.get(cr.id) == cr


async def test_unknown_id_reads_none(backend: Backend) -> None:
    async with backend.uow() as uow:
        assert await uow.changes.get("CHG-404") is None


async def test_a_unit_sees_its_own_writes_before_commit(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.changes.add(change("CHG-1"))
        assert await uow.changes.get("CHG-1") == change("CHG-1")
        await uow.commit()


async def test_leaving_without_commit_discards_everything(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.changes.add(change("CHG-1"))
        await uow.audit.append([event()])
        await uow.outbox.put([OutboxMessage("change.event", "CHG-1")])
    with pytest.raises(RuntimeError, match="boom"):
        async with backend.uow() as uow:
            await uow.changes.add(change("CHG-2"))
            raise RuntimeError("boom")
    async with backend.uow() as uow:
        assert await uow.changes.get("CHG-1") is None
        assert await uow.changes.get("CHG-2") is None
    assert await backend.audit_rows() == []
    assert await backend.outbox_messages() == []


async def test_update_replaces_at_the_expected_version(backend: Backend) -> None:
    await save(backend, change("CHG-1"))
    newer = replace(change("CHG-1"), version=4, state=State.APPROVED)
    async with backend.uow() as uow:
        await uow.changes.update(newer, expected_version=3)
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.changes.get("CHG-1") == newer


async def test_update_from_a_stale_read_conflicts(backend: Backend) -> None:
    await save(backend, change("CHG-1"))
    async with backend.uow() as uow:
        stale = await uow.changes.get("CHG-1")
    assert stale is not None
    async with backend.uow() as uow:
        await uow.changes.update(replace(stale, version=4), expected_version=3)
        await uow.commit()
    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.changes.update(replace(stale, version=4, state=State.REJECTED), 3)
            await uow.commit()
    async with backend.uow() as uow:
        kept = await uow.changes.get("CHG-1")
    assert kept is not None and kept.state is State.PENDING_REVIEW


async def test_updating_a_missing_change_conflicts(backend: Backend) -> None:
    with pytest.raises(ConcurrencyConflict):
        async with backend.uow() as uow:
            await uow.changes.update(change("CHG-9"), expected_version=2)
            await uow.commit()


async def test_concurrent_updates_from_one_read_let_exactly_one_win(backend: Backend) -> None:
    await save(backend, change("CHG-1"))

    async def decide(state: State) -> State:
        async with backend.uow() as uow:
            cr = await uow.changes.get("CHG-1")
            assert cr is not None
            await uow.changes.update(replace(cr, version=cr.version + 1, state=state),
                                     cr.version)
            await uow.commit()
            return state

    results = await asyncio.gather(decide(State.APPROVED), decide(State.REJECTED),
                                   return_exceptions=True)
    async with backend.uow() as uow:
        final = await uow.changes.get("CHG-1")
    assert final is not None
    winners = [r for r in results if isinstance(r, State)]
    losers = [r for r in results if isinstance(r, BaseException)]
    # A serialising backend runs them one after the other (two wins, version 5); otherwise one
    # loses with a conflict (version 4). Never a lost update.
    assert all(isinstance(e, ConcurrencyConflict) for e in losers)
    assert final.version == 3 + len(winners)
    assert final.state in winners


async def test_a_used_idempotency_key_is_a_duplicate_carrying_the_change_that_used_it(
    backend: Backend
) -> None:
    first = replace(change("CHG-1", key="view-1"), request_hash="a" * 64)
    await save(backend, first)
    with pytest.raises(DuplicateRequest) as dup:
        await save(backend, replace(change("CHG-2", key="view-1"), request_hash="b" * 64))
    assert dup.value.change_id == "CHG-1"
    assert dup.value.existing == first  # with its request hash, to compare with the loser's
    await save(backend, change("CHG-3", requester="other", key="view-1"), change("CHG-4"),
               change("CHG-5"))
    async with backend.uow() as uow:
        found = await uow.changes.find_by_idempotency_key("req", "view-1")
        assert found is not None and found.id == "CHG-1"
        assert await uow.changes.find_by_idempotency_key("req", "view-2") is None
        assert await uow.changes.get("CHG-2") is None


async def test_audit_appends_in_order_and_chains(backend: Backend) -> None:
    first = [event(kind=EventKind.PROPOSED, actor="req"), event(kind=EventKind.SUBMITTED)]
    second = [event("CHG-2", EventKind.REFUSED, "u", T0 + timedelta(seconds=1), reason="x"),
              event(None, EventKind.REFUSED, "con", reason="denied_by_policy")]
    for events in (first, second):
        async with backend.uow() as uow:
            await uow.audit.append(events)
            await uow.commit()
    rows = await backend.audit_rows()
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert [r.record for r in rows] == [event_to_dict(e) for e in first + second]
    assert verify_rows(rows).ok


async def test_concurrent_appends_keep_one_unforked_chain(backend: Backend) -> None:
    async def append(n: int) -> None:
        for _ in range(8):
            try:
                async with backend.uow() as uow:
                    await uow.audit.append([event(f"CHG-{n}", actor=f"u{n}")])
                    await uow.commit()
                    return
            except ConcurrencyConflict:
                continue

    await asyncio.gather(*(append(n) for n in range(10)))
    rows = await backend.audit_rows()
    assert [r.seq for r in rows] == list(range(1, 11))
    assert verify_rows(rows).ok


async def test_outbox_keeps_committed_messages_in_order(backend: Backend) -> None:
    messages = [OutboxMessage("change.event", "CHG-1", {"kind": "approved", "n": 1}),
                OutboxMessage("slack.dm", None, {"to": "U1"})]
    async with backend.uow() as uow:
        await uow.outbox.put(messages)
        await uow.commit()
    assert list(await backend.outbox_messages()) == messages
