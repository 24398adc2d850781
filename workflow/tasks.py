"""Background work tied to a block of code: started with it, cancelled and awaited after it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


async def cancel(task: asyncio.Task[Any]) -> None:
    """Cancel the task and wait until it has stopped, so nothing of it runs on afterwards."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, Any], name: str | None = None
                  ) -> AsyncIterator[None]:
    """Run `work` beside the block and stop it when the block ends, however it ends."""
    task = asyncio.get_running_loop().create_task(work, name=name)
    try:
        yield
    finally:
        await cancel(task)
