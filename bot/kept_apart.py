"""After a reload: which in-flight changes keep a group or an executor the new policy removed or
redefined, told in the reload's answer and the log (they go on by their own snapshot)."""

from __future__ import annotations

import logging

from storage.ports.api_reads import ApiReads
from storage.reads import ChangeFilter
from workflow.model import TERMINAL_STATES, ChangeRequest, State
from workflow.policy import Policy
from workflow.policy_drift import kept_apart

log = logging.getLogger(__name__)
IN_FLIGHT = frozenset(State) - TERMINAL_STATES - {State.DRAFT}  # submitted, not yet ended
PAGE = 500


async def report_kept_apart(policy: Policy, reads: ApiReads) -> list[str]:
    """Each such change, one line each, also logged as a warning."""
    notes = kept_apart(policy, await in_flight(reads))
    for note in notes:
        log.warning("policy %s: %s", policy.version[:12], note)
    return notes


async def in_flight(reads: ApiReads) -> list[ChangeRequest]:
    """Every change a reload cannot alter any more: submitted, not yet ended."""
    where = ChangeFilter(states=IN_FLIGHT)
    found: list[ChangeRequest] = []
    before: int | None = None
    while True:
        page = await reads.changes(where, before, PAGE)
        found += page.changes
        if page.next_before is None:
            return found
        before = page.next_before
