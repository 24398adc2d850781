"""`changegate check` warns about workflows whose approvers nobody would tell."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.served import clean_environment, run_cli

SILENT = """\
groups:
  seniors: {members: [U01AAA, U01BBB]}
  neteng: {slack_usergroup: S0NETENG}
workflows:
  - name: quiet
    priority: 10
    match: {risk: high}
    notify: channel
    stages:
      - require: [{group: seniors, count: 1}]
  - name: engineers
    priority: 20
    stages:
      - require: [{group: neteng, count: 1}]
"""


async def test_check_warns_about_a_workflow_that_would_reach_no_one(tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(SILENT, encoding="utf-8")

    ran = await run_cli("check", "--policy", str(policy), env=clean_environment())
    with_channel = await run_cli("check", "--policy", str(policy),
                                 env=clean_environment(SLACK_CHANNEL="C0CHANGES"))
    as_json = await run_cli("check", "--json", "--policy", str(policy), env=clean_environment())

    assert ran.code == 0, ran.err
    assert ran.err.splitlines() == [
        f"warning: {policy}: workflow 'quiet': would reach no one: notify is channel, but it "
        "names no channel and SLACK_CHANNEL is not set; set channel: C..., or notify: dm (or "
        "both)",
        f"warning: {policy}: workflow 'engineers' stages[0] (Stage 1): may reach no one: its "
        "approvers are told by DM only, and who is in neteng (S0NETENG) is known only to Slack; "
        "run check --live to see the members, or set a channel",
    ]
    assert f"{policy}: valid" in ran.out
    assert with_channel.err == ""  # the channel tells both workflows' approvers
    assert len(json.loads(as_json.out)["warnings"]) == 2
