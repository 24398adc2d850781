"""The sandbox's demo `command` executor: a deterministic diff for a dry-run, a report for an apply.

Run as `python -m bot.sandbox.demo_executor` with the change's JSON on standard input (see
docs/executors.md). It touches nothing. A target ending in `-fail` makes the apply fail (exit 1),
so the failure path can be tried too. Standard library only, so it starts fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

REMOVING = frozenset({"delete", "remove", "withdraw", "shutdown", "disable"})


def diff(change: dict[str, Any]) -> str:
    """The same change always gives the same text, so re-running a dry-run keeps approvals."""
    content = change.get("content") or {}
    target = str(content.get("target") or "target")
    action = str(content.get("action") or "change")
    sign = "-" if action in REMOVING else "+"
    lines = [line.rstrip() for line in str(content.get("payload") or "").splitlines()]
    lines = [line for line in lines if line.strip()]
    rollback = [x for x in str(content.get("rollback_plan") or "").splitlines() if x.strip()]
    out = [f"--- {target} running-config",
           f"+++ {target} candidate-config ({change.get('change')} revision "
           f"{change.get('revision')})",
           f"@@ {content.get('family')} {action}: {len(lines)} line(s) @@"]
    out += [f"{sign}{line}" for line in lines]
    added = len(lines) if sign == "+" else 0
    out.append(f"# {added} added, {len(lines) - added} removed; "
               f"rollback plan: {len(rollback)} line(s) ready")
    return "\n".join(out)


def apply(change: dict[str, Any]) -> tuple[int, str]:
    """The exit code and the report of a pretend apply."""
    content = change.get("content") or {}
    target = str(content.get("target") or "target")
    if target.endswith("-fail"):
        return 1, f"{target} refused the change: configuration locked by another session"
    lines = [x for x in str(content.get("payload") or "").splitlines() if x.strip()]
    return 0, (f"Applied {change.get('change')} revision {change.get('revision')} to {target}: "
               f"{len(lines)} line(s) committed (key {change.get('idempotency_key')})")


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
         stderr: TextIO = sys.stderr) -> int:
    """Read the change, answer by mode; exit 2 on input that is not a change."""
    try:
        change = json.load(stdin)
    except ValueError as exc:
        print(f"demo executor: standard input is not JSON: {exc}", file=stderr)
        return 2
    if change.get("mode") == "dry_run":
        print(diff(change), file=stdout)
        return 0
    code, report = apply(change)
    print(report, file=stdout if code == 0 else stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
