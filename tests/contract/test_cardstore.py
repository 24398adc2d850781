"""Where a card's copies live, one contract for memory, SQLite and PostgreSQL: every copy in
posting order, replaced in place, and (on SQL) still known after a restart."""

from __future__ import annotations

from storage.ports.cards import Audience, CardRef
from tests.support.ports import Ports


async def test_copies_are_kept_in_posting_order_and_replaced_in_place(ports: Ports) -> None:
    before, after = ports.again().cards, ports.again().cards  # after: the process restarted
    await before.save(CardRef("CHG-1", "C0CAB", "100.1", Audience.CHANNEL, "v1"))
    ports.clock.advance(seconds=1)
    await before.save(CardRef("CHG-1", "D0REQ", "100.2", Audience.REQUESTER, "v1"))
    await before.save(CardRef("CHG-2", "C0CAB", "100.3", Audience.CHANNEL, "v1"))
    ports.clock.advance(seconds=1)
    await before.save(CardRef("CHG-1", "C0CAB", "100.1", Audience.CHANNEL, "v2"))
    copies = await after.cards("CHG-1")
    assert [(c.channel, c.ts, c.audience, c.rendered) for c in copies] == [
        ("C0CAB", "100.1", Audience.CHANNEL, "v2"),
        ("D0REQ", "100.2", Audience.REQUESTER, "v1"),
    ]
    assert await after.cards("CHG-404") == []


async def test_a_copy_is_named_by_its_channel_and_ts_together(ports: Ports) -> None:
    cards = ports.again().cards
    await cards.save(CardRef("CHG-1", "D0N1", "200.1", Audience.APPROVER, "a"))
    await cards.save(CardRef("CHG-1", "D0N2", "200.1", Audience.APPROVER, "b"))
    await cards.save(CardRef("CHG-1", "D0N1", "200.2", Audience.APPROVER, "c"))
    copies = await ports.again().cards.cards("CHG-1")
    assert sorted((c.channel, c.ts, c.rendered) for c in copies) == [
        ("D0N1", "200.1", "a"), ("D0N1", "200.2", "c"), ("D0N2", "200.1", "b")]
    assert {c.change_id for c in copies} == {"CHG-1"}
