"""Policy texts of the acceptance scenarios (tests/engine/test_scenarios.py)."""

from __future__ import annotations

SCENARIO_POLICY = """
defaults:
  dry_run_ttl: 30m
  approval_timeout: 72h
  on_timeout: expire
  reminder_after: 4h
groups:
  network-engineers: {slack_usergroup: S01NETENG}
  senior-network-engineers: {members: [n1, n2, n3, req, s1]}
  change-advisory-board: {members: [c1, c2, s1]}
  contractors: {members: [con]}
submit_rules:
  - {groups: [contractors], family: core-router, actions: [reload], policy: deny}
workflows:
  - name: critical
    priority: 10
    match: {risk: critical}
    channel: C0CAB
    stages:
      - name: Senior review
        require: [{group: senior-network-engineers, count: 2}]
      - name: Change Advisory Board
        require: [{group: change-advisory-board, count: 1}]
  - {name: high, priority: 20, match: {risk: high},
     stages: [{name: Senior review, require: [{group: senior-network-engineers, count: 2}]}]}
  - {name: medium, priority: 30, match: {risk: medium},
     stages: [{require: [{group: network-engineers, count: 1}]}]}
  - {name: low, priority: 40, match: {risk: low}, stages: []}
"""

USERGROUPS = {"S01NETENG": frozenset({"e1", "n1"})}
