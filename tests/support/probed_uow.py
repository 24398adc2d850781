"""A unit-of-work factory wrapping a real one, for tests of how commands share transactions: it
counts the units opened and committed, records what each read, and on request holds the next
commit at a gate, fails the next compare-and-set, or hands the next read a stale copy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from workflow.model import ChangeRequest
from workflow.ports import UnitOfWork, UnitOfWorkFactory


class ProbedUnits:
    """Wraps `inner`; every unit it opens reports here."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self.inner = inner
        self.opened = 0
        self.committed = 0
        self.reads: list[list[str]] = []  # the ids of each get_many, in order
        self.gate: asyncio.Event | None = None  # the next commit waits until it is set
        self.at_gate = asyncio.Event()  # set when a commit reaches the gate
        self.fail: Exception | None = None  # the next update_many raises it
        self.stale: dict[str, ChangeRequest] = {}  # the next get_many returns these instead

    def hold_next_commit(self) -> asyncio.Event:
        """The next commit waits at the returned gate (set it to let the commit go on)."""
        self.gate, self.at_gate = asyncio.Event(), asyncio.Event()
        return self.gate

    def reset(self) -> None:
        self.opened = self.committed = 0
        self.reads.clear()

    def __call__(self) -> ProbedUnit:
        self.opened += 1
        return ProbedUnit(self, self.inner())


class ProbedUnit:
    """One unit of work of the wrapped factory."""

    def __init__(self, probe: ProbedUnits, inner: UnitOfWork) -> None:
        self._probe = probe
        self._inner = inner

    @property
    def changes(self) -> ProbedChanges:
        return ProbedChanges(self._probe, self._inner.changes)

    @property
    def audit(self) -> Any:
        return self._inner.audit

    @property
    def outbox(self) -> Any:
        return self._inner.outbox

    @property
    def receipts(self) -> Any:
        return self._inner.receipts

    async def __aenter__(self) -> ProbedUnit:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        gate, self._probe.gate = self._probe.gate, None
        if gate is not None:
            self._probe.at_gate.set()
            await gate.wait()
        await self._inner.commit()
        self._probe.committed += 1


class ProbedChanges:
    """The wrapped change repository; everything but get_many and update_many passes through."""

    def __init__(self, probe: ProbedUnits, inner: Any) -> None:
        self._probe = probe
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get_many(self, change_ids: Sequence[str]) -> dict[str, ChangeRequest]:
        self._probe.reads.append(list(change_ids))
        found: dict[str, ChangeRequest] = await self._inner.get_many(change_ids)
        stale, self._probe.stale = self._probe.stale, {}
        return {**found, **{cid: cr for cid, cr in stale.items() if cid in found}}

    async def update_many(self, saves: Sequence[tuple[ChangeRequest, int]]) -> None:
        fail, self._probe.fail = self._probe.fail, None
        if fail is not None:
            raise fail
        await self._inner.update_many(saves)
