"""Executor programs and policies the engine tests run for real."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.policies import SCENARIO_POLICY

# Prints a diff for a dry-run; for an apply, records the key in a ledger and its pid first, then
# acts as told by the file `behaviour` next to the ledger: `ok`, `fail`, `hang`, or `wait` (for
# a file `go` to appear, at most a minute, then succeed).
DEVICE = """
import json, os, pathlib, sys, time
ledger = pathlib.Path(sys.argv[1])
request = json.load(sys.stdin)
behaviour_file = ledger.with_name("behaviour")
behaviour = behaviour_file.read_text().strip() if behaviour_file.exists() else "ok"
diff_file = ledger.with_name("diff")
if request["mode"] == "dry_run":
    print(diff_file.read_text() if diff_file.exists() else "+ neighbor 192.0.2.1 remote-as 65001")
    sys.exit(0)
ledger.with_name("pid").write_text(str(os.getpid()))
with ledger.open("a") as out:
    out.write(request["idempotency_key"] + "\\n")
if behaviour == "hang":
    time.sleep(3600)
if behaviour == "wait":
    for _ in range(6000):
        if ledger.with_name("go").exists():
            break
        time.sleep(0.01)
if behaviour == "fail":
    print("commit refused by edge-1")
    sys.exit(1)
print("applied", request["change"])
"""


def device(directory: Path) -> tuple[list[str], Path]:
    """The argv of the device program and its ledger of applied keys."""
    script = directory / "device.py"
    script.write_text(DEVICE)
    ledger = directory / "ledger"
    return [sys.executable, str(script), str(ledger)], ledger


def policy_with(executors: dict[str, object], families: dict[str, object]) -> str:
    """The scenario policy plus executors and family bindings (JSON is valid YAML)."""
    return (
        SCENARIO_POLICY
        + f"executors: {json.dumps(executors)}\n"
        + f"families: {json.dumps(families)}\n"
    )


def ledger_keys(ledger: Path) -> list[str]:
    """Every key the device program was asked to apply, in order."""
    return ledger.read_text().split() if ledger.exists() else []
