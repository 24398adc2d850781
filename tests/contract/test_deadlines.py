"""Where timers read deadlines from, one contract for memory, SQLite and PostgreSQL: the
earliest deadline of each change, soonest first, up to a moment, within a limit."""

from __future__ import annotations

from datetime import timedelta

from tests.support.ports import Ports
from tests.support.samples import T0, change

HOUR = timedelta(hours=1)


async def save(ports: Ports) -> None:
    async with ports.uow() as uow:
        for cr in (
            change("CHG-1", expires_at=T0 + 9 * HOUR, remind_at=T0 + 2 * HOUR),
            change("CHG-2", apply_at=T0 + HOUR),
            change("CHG-3"),
            change("CHG-10", expires_at=T0 + 2 * HOUR),  # a tie: CHG-1 goes first
            change("CHG-4", expires_at=T0 + 4 * HOUR + timedelta(seconds=1)),
        ):
            await uow.changes.add(cr)
        await uow.commit()


async def test_each_changes_earliest_deadline_soonest_first(ports: Ports) -> None:
    await save(ports)
    source = ports.again().deadlines
    assert [(d.change_id, d.at) for d in await source.deadlines()] == [
        ("CHG-2", T0 + HOUR), ("CHG-1", T0 + 2 * HOUR), ("CHG-10", T0 + 2 * HOUR),
        ("CHG-4", T0 + 4 * HOUR + timedelta(seconds=1))]


async def test_until_is_inclusive_and_the_limit_keeps_the_soonest(ports: Ports) -> None:
    await save(ports)
    source = ports.again().deadlines
    assert await source.deadlines(until=T0) == []
    due = await source.deadlines(until=T0 + 2 * HOUR)
    assert [d.change_id for d in due] == ["CHG-2", "CHG-1", "CHG-10"]
    assert [d.change_id for d in await source.deadlines(limit=2)] == ["CHG-2", "CHG-1"]


async def test_the_deadline_of_one_change(ports: Ports) -> None:
    await save(ports)
    source = ports.again().deadlines
    assert await source.deadline_of("CHG-1") == T0 + 2 * HOUR
    assert await source.deadline_of("CHG-3") is None
    assert await source.deadline_of("CHG-404") is None
