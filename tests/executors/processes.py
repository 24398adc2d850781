"""Process checks for tests: whether a pid is gone (exited, or a zombie awaiting its reaper)."""

from __future__ import annotations

import time
from pathlib import Path


def finished(pid: int) -> bool:
    """Whether the process has exited (absent, or a zombie not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def gone(pid: int, within_s: float = 5.0) -> bool:
    """Poll until the process has exited, for at most `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while not finished(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
