"""Numbers for the benchmarks: percentiles, the machine they ran on, and a pass/fail table."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn


def percentile(samples: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100); NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def machine() -> str:
    """What the numbers were measured on: cores, memory, CPU model, OS, Python, date."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = _free_h()
    return (f"{os.cpu_count()} cores ({model}), {memory} RAM, {platform.platform()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def _free_h() -> str:
    try:
        out = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    for line in out.splitlines():
        if line.startswith("Mem:"):
            return line.split()[1]
    return "unknown"


@dataclass
class Verdicts:
    """Targets checked so far; `ok` once every one passed."""

    rows: list[tuple[str, str, str, bool]] = field(default_factory=list)

    def check(self, name: str, measured: str, target: str, passed: bool) -> None:
        self.rows.append((name, measured, target, passed))

    @property
    def ok(self) -> bool:
        return all(passed for *_, passed in self.rows)

    def print(self) -> None:
        width = max((len(name) for name, *_ in self.rows), default=10)
        for name, measured, target, passed in self.rows:
            print(f"  {'PASS' if passed else 'FAIL'}  {name:<{width}}  {measured:>14}   "
                  f"target {target}")
        print("all targets met" if self.ok else "some targets were missed")


def finish(verdicts: Verdicts, directory: Path) -> int:
    """Print the verdicts; drop the run's directory when every target was met, else keep its
    logs. The exit status: 0 when every target was met."""
    verdicts.print()
    if verdicts.ok:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        print(f"logs kept in {directory}")
    return 0 if verdicts.ok else 1


def run_bench(main: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace
              ) -> NoReturn:
    """Run a bench, say how long it took, and exit with its status (1 when a target missed)."""
    started = time.perf_counter()
    status = asyncio.run(main(args))
    print(f"(bench took {time.perf_counter() - started:.0f} s)")
    sys.exit(status)
