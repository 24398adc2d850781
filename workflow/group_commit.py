"""Group commit: commands on different changes that arrive while a transaction is committing
share the next one. A burst of clicks then costs one read, one compare-and-set per kind of row
and one commit per group, instead of all of them per click; an idle engine commits each command
at once, as before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from workflow.gesture import Gesture
from workflow.outcome import Decision
from workflow.writer import Build, Item

Write = Callable[[Sequence[Item]], Awaitable[list[Decision | Exception]]]
Alone = Callable[[str, Build, Gesture | None], Awaitable[Decision]]
MAX_GROUP = 64


@dataclass
class Job:
    """One command on an existing change, and where its outcome goes."""

    change_id: str
    build: Build
    gesture: Gesture | None  # the gesture it decides, its key recorded with it
    done: asyncio.Future[Decision] = field(repr=False)


class GroupCommit:
    """Decides queued commands in one unit of work and commits them together.

    Each change appears at most once in a group, decided in the order queued, written by the
    one write path (workflow/writer.py). A command that is refused is answered on its own and
    takes nothing down with it; if the group cannot commit (another process saved one of its
    changes first, a database error), every command of it is run again on its own through
    `alone`, with its usual retries.
    """

    def __init__(self, write: Write, alone: Alone, max_group: int = MAX_GROUP) -> None:
        self._write = write
        self._alone = alone
        self._max_group = max_group
        self._queue: list[Job] = []
        self._worker: asyncio.Task[None] | None = None

    async def run(self, change_id: str, build: Build, gesture: Gesture | None = None
                  ) -> Decision:
        """Decide and commit one command with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        job = Job(change_id, build, gesture, loop.create_future())
        self._queue.append(job)
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._work(), name="group-commit")
        return await job.done

    async def _work(self) -> None:
        while self._queue:
            group, self._queue = self._next_group()
            try:
                outcomes = await self._write([(job.change_id, job.build, job.gesture)
                                              for job in group])
            except Exception:
                await asyncio.gather(*(self._again(job) for job in group))
                continue
            for job, outcome in zip(group, outcomes, strict=True):
                _settle(job, outcome)

    def _next_group(self) -> tuple[list[Job], list[Job]]:
        """Up to `max_group` queued jobs, one per change (a second command on a change, queued
        by a caller that stopped waiting, goes in a later group), and the jobs left queued."""
        group: list[Job] = []
        rest: list[Job] = []
        changes: set[str] = set()
        for job in self._queue:
            if len(group) < self._max_group and job.change_id not in changes:
                group.append(job)
                changes.add(job.change_id)
            else:
                rest.append(job)
        return group, rest

    async def _again(self, job: Job) -> None:
        try:
            outcome: Decision | Exception = await self._alone(job.change_id, job.build,
                                                              job.gesture)
        except Exception as error:
            outcome = error
        _settle(job, outcome)

def _settle(job: Job, outcome: Decision | Exception) -> None:
    """Answer the caller, unless it stopped waiting (the command was decided all the same); a
    committed decision that carries a refusal answers with the refusal."""
    if job.done.done():
        return
    if isinstance(outcome, Decision) and outcome.refusal is not None:
        outcome = outcome.refusal
    if isinstance(outcome, Exception):
        job.done.set_exception(outcome)
    else:
        job.done.set_result(outcome)
