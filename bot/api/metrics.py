"""Prometheus metrics: states and backlog read live, durations and refusals from the audit log.

The audit log is read incrementally (only rows after the last one seen), so a scrape costs a
few small queries however long the history is; counters derived from it survive restarts.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from storage.ports.api_reads import ApiReads
from storage.reads import Backlog
from workflow.model import State
from workflow.post_review import ReviewOutcome

BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 14_400.0, 28_800.0, 86_400.0, 259_200.0,
           604_800.0)
KINDS = ("approved", "applied", "refused", "post_reviewed")
SCAN_BATCH = 2000


@dataclass
class Histogram:
    """Cumulative buckets, sum and count, in seconds."""

    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(BUCKETS, value)
        for i in range(index, len(BUCKETS)):
            self.counts[i] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str) -> list[str]:
        lines = [f'{name}_bucket{{le="{float(b)!r}"}} {c}' for b, c in zip(BUCKETS, self.counts,
                                                                            strict=True)]
        lines.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        lines += [f"{name}_sum {_number(self.total)}", f"{name}_count {self.count}"]
        return lines


class Metrics:
    """Counters of this process plus those derived from the audit log."""

    def __init__(self) -> None:
        self.problems: Counter[tuple[int, str]] = Counter()
        self.slack_errors: Counter[tuple[str, str]] = Counter()
        self.refusals: Counter[str] = Counter()
        self.to_approve = Histogram()
        self.to_apply = Histogram()
        self.review_outcomes: dict[str, str] = {}  # change id -> outcome of its latest review
        self._after = 0
        self._lock = asyncio.Lock()

    def count_problem(self, status: int, reason: str) -> None:
        """An error answer of the API."""
        self.problems[(status, reason)] += 1

    def count_slack_error(self, method: str, error: str) -> None:
        """The hook for the Slack side: a Web API call that failed (method, Slack's error)."""
        self.slack_errors[(method, error)] += 1

    async def catch_up(self, reads: ApiReads) -> None:
        """Fold in audit rows written since the last scrape."""
        async with self._lock:
            while rows := await reads.audit(after=self._after, limit=SCAN_BATCH, kinds=KINDS):
                for row in rows:
                    self._fold(row.record)
                self._after = rows[-1].seq

    def _fold(self, record: Mapping[str, object]) -> None:
        kind, since = record.get("kind"), record.get("since_proposal_s")
        if kind == "refused":
            data = record.get("data")
            reason = data.get("reason") if isinstance(data, dict) else None
            self.refusals[str(reason or "refused")] += 1
        elif kind == "post_reviewed":
            data = record.get("data")
            outcome = data.get("outcome") if isinstance(data, dict) else None
            self.review_outcomes[str(record.get("change_id"))] = str(outcome)
        elif isinstance(since, int | float):
            (self.to_approve if kind == "approved" else self.to_apply).observe(float(since))

    def render(self, states: Mapping[str, int], backlog: Backlog | None, now: datetime,
               policy_version: str | None = None) -> str:
        """The exposition text (format 0.0.4)."""
        out: list[str] = []
        if policy_version is not None:
            _family(out, "changegate_policy_info", "gauge",
                    "The policy version this replica runs (replicas may differ during a reload).",
                    [f'changegate_policy_info{{version="{_label(policy_version)}"}} 1'])
        _family(out, "changegate_changes", "gauge", "Change requests by state.",
                (f'changegate_changes{{state="{s.value}"}} {states.get(s.value, 0)}'
                 for s in State))
        _family(out, "changegate_time_to_approve_seconds", "histogram",
                "Time from proposal to approval.", self.to_approve.lines(
                    "changegate_time_to_approve_seconds"))
        _family(out, "changegate_time_to_apply_seconds", "histogram",
                "Time from proposal to a successful apply.", self.to_apply.lines(
                    "changegate_time_to_apply_seconds"))
        _family(out, "changegate_refusals_total", "counter",
                "Refused actions by reason, from every path (Slack, API, timers).",
                (f'changegate_refusals_total{{reason="{_label(r)}"}} {n}'
                 for r, n in sorted(self.refusals.items())))
        outcomes = Counter(self.review_outcomes.values())
        _family(out, "changegate_changes_by_review_outcome", "gauge",
                "Applied or failed changes by the outcome of their latest post-implementation "
                "review.", (f'changegate_changes_by_review_outcome{{outcome="{o.value}"}} '
                            f"{outcomes[o.value]}" for o in ReviewOutcome))
        _family(out, "changegate_api_problems_total", "counter",
                "Error answers of the REST API by status and reason.",
                (f'changegate_api_problems_total{{status="{s}",reason="{_label(r)}"}} {n}'
                 for (s, r), n in sorted(self.problems.items())))
        _family(out, "changegate_slack_api_errors_total", "counter",
                "Slack Web API calls that failed, by method and error.",
                (f'changegate_slack_api_errors_total{{method="{_label(m)}",error="{_label(e)}"}}'
                 f" {n}" for (m, e), n in sorted(self.slack_errors.items())))
        if backlog is not None:
            age = (now - backlog.oldest_pending_at).total_seconds() if (
                backlog.oldest_pending_at) else 0.0
            _family(out, "changegate_outbox_backlog", "gauge",
                    "Outbox messages waiting for delivery.",
                    [f"changegate_outbox_backlog {backlog.pending}"])
            _family(out, "changegate_outbox_dead_letters", "gauge",
                    "Outbox messages given up on (see docs/operations.md).",
                    [f"changegate_outbox_dead_letters {backlog.dead}"])
            _family(out, "changegate_outbox_oldest_pending_seconds", "gauge",
                    "Age of the oldest message waiting for delivery.",
                    [f"changegate_outbox_oldest_pending_seconds {_number(max(age, 0.0))}"])
            _family(out, "changegate_outbox_messages", "gauge",
                    "Outbox messages by topic (change.event: Slack; subscription.event: the "
                    "policy's event subscriptions) and state (pending, delivered, dead).",
                    (f'changegate_outbox_messages{{topic="{_label(topic)}",state="{state}"}} '
                     f"{getattr(counts, state)}"
                     for topic, counts in sorted(backlog.topics.items())
                     for state in ("pending", "delivered", "dead")))
        return "\n".join(out) + "\n"


def _family(out: list[str], name: str, kind: str, help_text: str, lines: Iterable[str]) -> None:
    out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *lines]


def _label(value: str) -> str:
    """A label value escaped as the text format requires."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))
