"""The composition root wires the policy's executors and the deadline timers into `serve`."""

from __future__ import annotations

from pathlib import Path

from bot.composition import open_runtime
from bot.settings import Settings
from tests.support.clock import TestClock
from workflow.model import Content, Metadata, Risk, State

POLICY = """
executors:
  echo: {kind: command, argv: [python3, -c, "print('+ vlan 42')"], timeout: 30s}
families:
  default: {executor: echo}
groups:
  seniors: {members: [n1, n2, n3]}
workflows:
  - {name: high, priority: 10, stages: [{require: [{group: seniors, count: 2}]}]}
"""


async def test_serve_runtime_runs_bound_executor_and_arms_deadlines(tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(POLICY)
    settings = Settings.load({}, policy=str(policy))
    clock = TestClock()
    runtime = await open_runtime(settings, clock=clock)
    try:
        content = Content("vlan", "add", "sw-1", Risk.HIGH, "vlan 42", "no vlan 42")
        cr = await runtime.engine.propose("req", content, Metadata("vlan 42"), submit=True)
        cr = await runtime.engine.run_dry_run(cr.id, "n1")
        assert cr.dry_run is not None and cr.dry_run.output == "+ vlan 42"
        await runtime.start()
        assert runtime.timers.armed()[cr.id] == cr.remind_at
        assert cr.state is State.PENDING_REVIEW
    finally:
        await runtime.close()
    assert (tmp_path / "changegate.db").is_file()


async def test_without_slack_every_commit_rearms_the_timers(tmp_path: Path) -> None:
    """No delivery runs without Slack: the timers hear of commits from the engine itself."""
    policy = tmp_path / "changegate.yaml"
    policy.write_text(POLICY)
    runtime = await open_runtime(Settings.load({}, policy=str(policy)), clock=TestClock(),
                                 memory=True)
    try:
        await runtime.start()
        content = Content("vlan", "add", "sw-1", Risk.HIGH, "vlan 42", "no vlan 42")
        cr = await runtime.engine.propose("req", content, Metadata("vlan 42"), submit=True)
        assert runtime.slack is None
        assert runtime.timers.armed()[cr.id] == cr.remind_at
        await runtime.engine.withdraw_request(cr.id, "req")
        assert cr.id not in runtime.timers.armed()
    finally:
        await runtime.close()
