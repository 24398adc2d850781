"""One closing line of a test run saying how many tests were skipped and why, so a run without
PostgreSQL or Chromium says what it did not check."""

from __future__ import annotations

from collections import Counter

import pytest


def skip_line(reasons: Counter[str]) -> str:
    """'N tests skipped: n1 because R1; n2 because R2', most frequent first."""
    total = sum(reasons.values())
    if not total:
        return "no test skipped"
    why = "; ".join(f"{n} because {reason}" for reason, n in reasons.most_common())
    return f"{total} test{'s' if total != 1 else ''} skipped: {why}"


def pytest_unconfigure(config: pytest.Config) -> None:
    """Print the line after pytest's own counts, when the run had a terminal summary."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not hasattr(reporter, "stats"):
        return
    reasons: Counter[str] = Counter()
    for report in reporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    reporter.write_line(skip_line(reasons))
