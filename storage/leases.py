"""How long a process's claim on shared work lasts without renewal, and who the process is.

A replica that dies keeps its applies and outbox messages claimed until their leases run out;
then any other replica takes them over. CHANGEGATE_LEASE_SECONDS (default 60) sets that time.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

LEASE_ENV = "CHANGEGATE_LEASE_SECONDS"
DEFAULT_LEASE = timedelta(seconds=60)
SHORTEST_LEASE = timedelta(seconds=1)


def lease_duration(environ: Mapping[str, str] = os.environ) -> timedelta:
    """The configured lease: a number of seconds, at least 1; the default when unset."""
    raw = environ.get(LEASE_ENV, "").strip()
    if not raw:
        return DEFAULT_LEASE
    try:
        lease = timedelta(seconds=float(raw))
    except (ValueError, OverflowError):
        raise ValueError(f"{LEASE_ENV} must be a number of seconds, not {raw!r}") from None
    if not lease >= SHORTEST_LEASE:
        raise ValueError(f"{LEASE_ENV} must be at least 1 second, not {raw!r}")
    return lease


def utc_now() -> datetime:
    """Wall-clock time for bookkeeping (when a change was saved, a message queued or leased)."""
    return datetime.now(UTC)


def process_owner() -> str:
    """A name for this process's claims, unique among every replica's."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
