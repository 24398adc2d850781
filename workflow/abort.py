"""Getting an abort to the running apply's executor, outside any transaction: at once in the
process that recorded the request, and by watching the change in the process that runs it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from workflow.model import ChangeRequest
from workflow.ports import Abortable, Executor
from workflow.tasks import running

WATCH_S = 2.0  # how soon an abort recorded by another replica reaches the running executor


def cannot_abort(executor: Executor | None, change: ChangeRequest) -> str | None:
    """Why the change's running apply cannot be stopped; None when it can. An outside
    pipeline (no executor here) sees the request and reports the outcome itself."""
    if executor is None:
        return None
    if isinstance(executor, Abortable):
        return executor.cannot_abort(change)
    return "its executor has no way to stop a running apply: wait for its outcome"


async def signal_abort(executor: Executor | None, change: ChangeRequest) -> None:
    """Tell the executor; an abort it cannot deliver leaves the apply to end by itself."""
    if isinstance(executor, Abortable) and change.apply is not None:
        with contextlib.suppress(Exception):
            await executor.abort(change, change.apply.key)


@contextlib.asynccontextmanager
async def watching(executor: Executor, key: str,
                   read: Callable[[], Awaitable[ChangeRequest | None]],
                   every_s: float = WATCH_S) -> AsyncIterator[None]:
    """While the executor runs apply `key`, signal it once an abort of that apply is recorded."""
    async with running(_watch(executor, key, read, every_s)):
        yield


async def _watch(executor: Executor, key: str,
                 read: Callable[[], Awaitable[ChangeRequest | None]], every_s: float) -> None:
    if not isinstance(executor, Abortable):
        return
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(Exception):  # the database away: look again next time
            change = await read()
            if change is None or change.apply is None or change.apply.key != key:
                return
            if change.apply.abort_requested_by is not None:
                await signal_abort(executor, change)
                return
