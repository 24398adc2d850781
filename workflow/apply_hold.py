"""While an executor runs, this process renews its hold on the apply, so no other replica takes
the apply for interrupted; when the outcome will not be recorded here, the hold is given up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from workflow.ports import UnitOfWorkFactory
from workflow.tasks import running

RETRY = timedelta(seconds=1)  # a renewal that failed (the database away) is tried again this soon


class ApplyHold:
    """Renews a started apply's lease at a third of its length until the executor returns."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @contextlib.asynccontextmanager
    async def held(self, change_id: str, key: str) -> AsyncIterator[None]:
        """Keep the apply's lease fresh for as long as the block runs."""
        async with running(self._renew(change_id, key), name=f"apply-hold:{change_id}"):
            yield

    async def release(self, change_id: str, key: str) -> None:
        """The outcome will not be recorded here: let recovery settle the apply at once."""
        async with self._uow() as uow:
            await uow.changes.release_apply_lease(change_id, key)
            await uow.commit()

    async def _renew(self, change_id: str, key: str) -> None:
        while True:
            try:
                async with self._uow() as uow:
                    lasts = await uow.changes.renew_apply_lease(change_id, key)
                    await uow.commit()
            except Exception:  # the database is away: try again soon, the lease may still hold
                await asyncio.sleep(RETRY.total_seconds())
                continue
            if lasts is None:  # taken for interrupted by another replica: nothing to renew
                return
            await asyncio.sleep(lasts.total_seconds() / 3)
