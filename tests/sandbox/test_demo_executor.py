"""The sandbox's demo executor: the same change always gives the same diff; applies only pretend."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

from bot.executors.command import CommandExecutor
from bot.sandbox import demo_executor
from tests.support.builders import pending
from workflow.executor_spec import CommandSpec

ROOT = Path(__file__).resolve().parents[2]


def change(mode: str = "dry_run", **content: Any) -> dict[str, Any]:
    return {"change": "CHG-7", "revision": 2, "mode": mode, "idempotency_key": "CHG-7:2:ab",
            "content": {"family": "bgp", "action": "add", "target": "edge-1",
                        "payload": "neighbor 192.0.2.1 remote-as 65001\n\n  \nneighbor x",
                        "rollback_plan": "no neighbor 192.0.2.1", **content}}


def run(body: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = demo_executor.main(io.StringIO(body), out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_dry_run_prints_a_deterministic_diff() -> None:
    code, out, _ = run(json.dumps(change()))

    assert code == 0
    assert out == ("--- edge-1 running-config\n"
                   "+++ edge-1 candidate-config (CHG-7 revision 2)\n"
                   "@@ bgp add: 2 line(s) @@\n"
                   "+neighbor 192.0.2.1 remote-as 65001\n"
                   "+neighbor x\n"
                   "# 2 added, 0 removed; rollback plan: 1 line(s) ready\n")
    assert run(json.dumps(change()))[1] == out


def test_removing_actions_show_removed_lines() -> None:
    assert "\n-neighbor x\n# 0 added, 2 removed" in demo_executor.diff(change(action="delete"))


def test_an_apply_reports_and_a_fail_target_fails() -> None:
    assert run(json.dumps(change("apply"))) == (
        0, "Applied CHG-7 revision 2 to edge-1: 2 line(s) committed (key CHG-7:2:ab)\n", "")
    code, out, err = run(json.dumps(change("apply", target="lab-fail")))
    assert (code, out) == (1, "")
    assert "lab-fail refused the change" in err


def test_input_that_is_not_json_is_refused() -> None:
    code, _, err = run("nope")
    assert code == 2 and "standard input is not JSON" in err


async def test_it_runs_as_the_policy_writes_it() -> None:
    spec = CommandSpec("demo", (sys.executable, "-m", "bot.sandbox.demo_executor"),
                       pass_env=("PYTHONPATH",))
    executor = CommandExecutor(spec, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})

    output = await executor.dry_run(pending())

    assert output.startswith("--- ")
