"""Deadline timers: APScheduler is only a trigger over the stored deadlines; the engine decides."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from storage.leases import lease_duration
from storage.ports.deadlines import DeadlineSource
from workflow.errors import ChangeNotFound
from workflow.model import ChangeRequest
from workflow.ports import Clock

log = logging.getLogger(__name__)

LONGEST_RETRY = timedelta(hours=1)
REARM_LIMIT = 100_000
SWEEP_LIMIT = 500
SWEEPER_JOB = "deadline-sweeper"


class DeadlineEngine(Protocol):
    """The part of the engine timers use: it re-checks every deadline against its clock."""

    async def fire_deadline(self, change_id: str) -> ChangeRequest: ...

    async def recover_interrupted_applies(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class StartReport:
    """What start-up found: applies turned apply_unknown, and how many timers were armed."""

    recovered: list[str]
    armed: int


def sweep_interval() -> timedelta:
    """Half the lease (CHANGEGATE_LEASE_SECONDS): a dead replica's deadlines and applies are
    taken over at most that long after its leases have run out."""
    return lease_duration() / 2


def job_id(change_id: str) -> str:
    return f"deadline:{change_id}"


def new_scheduler() -> AsyncIOScheduler:
    """Memory job store, UTC, and a late job always runs (at most once for all missed runs)."""
    return AsyncIOScheduler(
        jobstores={"default": MemoryJobStore()},
        timezone=UTC,
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


class DeadlineTimers:
    """One job per change at its earliest deadline, re-armed from the state each firing leaves.

    A firing that fails, or leaves a deadline still due, is not re-armed at once: the sweeper
    tries it again after a delay that doubles up to an hour, so nothing can spin.
    """

    def __init__(
        self,
        engine: DeadlineEngine,
        deadlines: DeadlineSource,
        clock: Clock,
        *,
        scheduler: AsyncIOScheduler | None = None,
        sweep_every: timedelta | None = None,
    ) -> None:
        self._engine = engine
        self._deadlines = deadlines
        self._clock = clock
        self.scheduler = scheduler or new_scheduler()
        self._sweep_every = sweep_every or sweep_interval()
        self._armed: dict[str, datetime] = {}
        self._running: set[str] = set()
        self._due_meanwhile: set[str] = set()  # made due by a commit while its job ran
        self._retry: dict[str, tuple[int, datetime]] = {}  # change id -> (failures, not before)

    async def start(self, *, paused: bool = False) -> StartReport:
        """Settle applies a crash interrupted, re-arm every pending deadline, start sweeping."""
        recovered = await self._engine.recover_interrupted_applies()
        armed = await self.rearm_all()
        self.scheduler.add_job(self.sweep, IntervalTrigger(seconds=self._sweep_seconds()),
                               id=SWEEPER_JOB, replace_existing=True)
        self.scheduler.start(paused=paused)
        return StartReport(recovered, armed)

    async def stop(self) -> None:
        """Stop the scheduler; deadlines stay in the database for the next start."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # the scheduler shuts down in a callback on the loop

    def armed(self) -> Mapping[str, datetime]:
        """Change id -> when its job is set to fire."""
        return dict(self._armed)

    async def rearm_all(self) -> int:
        """Arm a job for every change with a deadline, as stored in the database."""
        found = await self._deadlines.deadlines(limit=REARM_LIMIT)
        for deadline in found:
            self.arm_at(deadline.change_id, deadline.at)
        return len(found)

    def arm(self, change: ChangeRequest) -> datetime | None:
        """(Re-)arm the change's job at its earliest deadline, or remove it when it has none."""
        when = change.next_deadline
        self.arm_at(change.id, when)
        return when

    def committed(self, changes: Sequence[ChangeRequest]) -> None:
        """An engine commit observer: re-arm each committed change from its new state; a
        deadline already due (an apply an approval made due) fires at once, or, while the
        change's job is running (the scheduler would skip a second one), as soon as it ends."""
        now = self._clock.now()
        for change in changes:
            when = self.arm(change)
            if change.id in self._running and when is not None and when <= now:
                self._due_meanwhile.add(change.id)

    def arm_at(self, change_id: str, when: datetime | None) -> None:
        """Replace the change's job with one firing at `when` (None: no job)."""
        if when is None:
            self.disarm(change_id)
            return
        self.scheduler.add_job(self.fire, DateTrigger(run_date=when), args=[change_id],
                               id=job_id(change_id), replace_existing=True)
        self._armed[change_id] = when

    def disarm(self, change_id: str) -> None:
        """Remove the change's job if it has one."""
        self._armed.pop(change_id, None)
        if self.scheduler.get_job(job_id(change_id)) is not None:
            self.scheduler.remove_job(job_id(change_id))

    async def arm_id(self, change_id: str) -> datetime | None:
        """Re-read a change's deadline and arm it; used after commits (by the outbox relay)."""
        when = await self._deadlines.deadline_of(change_id)
        self.arm_at(change_id, when)
        return when

    async def fire(self, change_id: str) -> ChangeRequest | None:
        """The job: ask the engine, then arm the change from the state it left."""
        if change_id in self._running:
            return None
        self._running.add(change_id)
        try:
            change = await self._engine.fire_deadline(change_id)
        except ChangeNotFound:
            self._retry.pop(change_id, None)
            self.disarm(change_id)
            return None
        except Exception as error:  # any failure waits for the sweeper's retry
            log.warning("deadline of %s could not be handled: %s", change_id, error)
            self._back_off(change_id)
            return None
        finally:
            self._running.discard(change_id)
            due_meanwhile = change_id in self._due_meanwhile
            self._due_meanwhile.discard(change_id)
        when = change.next_deadline
        if when is not None and when <= self._clock.now():
            log.warning("deadline of %s is still due after firing; retrying later", change_id)
            self._back_off(change_id)
            return change
        self._retry.pop(change_id, None)
        if due_meanwhile:  # another commit made it due while this job ran: fire it again
            return await self.fire(change_id)
        self.arm_at(change_id, when)
        return change

    async def sweep(self) -> list[str]:
        """Settle applies no live process holds any more (another replica died mid-apply), then
        fire every deadline already due that is not waiting for a retry; return their ids."""
        try:
            recovered = await self._engine.recover_interrupted_applies()
        except Exception as error:
            log.warning("interrupted applies could not be settled: %s", error)
        else:
            for change_id in recovered:
                log.warning("the apply of %s was interrupted: its outcome is unknown", change_id)
        now = self._clock.now()
        due = await self._deadlines.deadlines(until=now, limit=SWEEP_LIMIT)
        fired: list[str] = []
        for deadline in due:
            _, not_before = self._retry.get(deadline.change_id, (0, now))
            if not_before > now or deadline.change_id in self._running:
                continue
            fired.append(deadline.change_id)
            await self.fire(deadline.change_id)
        return fired

    def retry_after(self, change_id: str) -> datetime | None:
        """When the sweeper may try a failed change again, if it is waiting."""
        found = self._retry.get(change_id)
        return found[1] if found else None

    def _back_off(self, change_id: str) -> None:
        failures, _ = self._retry.get(change_id, (0, self._clock.now()))
        delay = min(self._sweep_every * 2**failures, LONGEST_RETRY)
        self._retry[change_id] = (failures + 1, self._clock.now() + delay)
        self.disarm(change_id)

    def _sweep_seconds(self) -> float:
        return max(self._sweep_every.total_seconds(), 1.0)
