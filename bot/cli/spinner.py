"""A progress line for `changegate wait` on a terminal, so a person sees it is alive and for how
long it has waited; pipelines (stderr not a terminal) get no control characters at all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Self, TextIO

from workflow.durations import format_duration
from workflow.tasks import cancel

FRAMES = "|/-\\"
INTERVAL_S = 0.1
CLEAR = "\r\x1b[K"  # back to the line's start, erase to its end


class Spinner:
    """Redraws `label` with a turning bar and the elapsed time until the block ends."""

    def __init__(self, stream: TextIO, label: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.label = label
        self.enabled = _is_terminal(stream)
        self._clock = clock
        self._started = clock()
        self._frame = 0
        self._task: asyncio.Task[None] | None = None

    def line(self) -> str:
        """What is drawn now: a frame, the label and the time waited."""
        elapsed = timedelta(seconds=int(self._clock() - self._started))
        frame = FRAMES[self._frame % len(FRAMES)]
        return f"{frame} {self.label} ({format_duration(elapsed)})"

    def draw(self) -> None:
        """Draw the next frame over the previous one (nothing when not on a terminal)."""
        if not self.enabled:
            return
        self.stream.write(CLEAR + self.line())
        self.stream.flush()
        self._frame += 1

    async def __aenter__(self) -> Self:
        if self.enabled:
            self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._task is None:
            return
        await cancel(self._task)
        self.stream.write(CLEAR)
        self.stream.flush()

    async def _run(self) -> None:
        while True:
            self.draw()
            await asyncio.sleep(INTERVAL_S)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
