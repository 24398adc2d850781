"""`changegate init`, `check [--live]` and `policy explain` as processes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.starter_policy import STARTER_POLICY
from bot.sandbox.fakeslack import FakeSlack, Workspace
from tests.support.served import EXAMPLE_POLICY, clean_environment, run_cli
from workflow.policy import load_policy

LIVE_POLICY = """\
groups:
  network-engineers: {slack_usergroup: S0NETENG}
  seniors: {members: [U01AAA, U01BBB, U01CCC]}
workflows:
  - name: medium
    priority: 30
    match: {risk: medium}
    stages:
      - require: [{group: network-engineers, count: 2}]
  - name: other
    priority: 40
    stages:
      - require: [{group: seniors, count: 1}]
"""
BROKEN = """\
groups:
  seniors: {members: [U1, U2]}
workflows:
  - name: high
    priority: 20
    stage: []
"""


async def test_init_writes_a_valid_starter_and_never_overwrites_without_force(
    tmp_path: Path
) -> None:
    env = clean_environment()
    target = tmp_path / "changegate.yaml"

    first = await run_cli("init", env=env, cwd=tmp_path)
    assert (first.code, first.out) == (0, "wrote a starter policy to changegate.yaml\n")
    assert target.read_text(encoding="utf-8") == STARTER_POLICY
    assert load_policy(target).workflows
    checked = await run_cli("check", env=env, cwd=tmp_path)
    assert checked.code == 0 and checked.out.startswith("changegate.yaml: valid\n")

    target.write_text("# mine\n", encoding="utf-8")
    again = await run_cli("init", env=env, cwd=tmp_path)
    assert (again.code, again.out) == (1, "")
    assert again.err == ("changegate: changegate.yaml already exists; keep it, or overwrite it "
                         "with --force\n")
    assert target.read_text(encoding="utf-8") == "# mine\n"

    other = tmp_path / "policies" / "net.yaml"
    other.parent.mkdir()
    forced = await run_cli("init", "--path", str(other), "--force", "--json", env=env)
    assert forced.code == 0
    assert json.loads(forced.out) == {"path": str(other), "version": load_policy(other).version}


async def test_check_names_the_key_path_of_a_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")

    good = await run_cli("check", "--policy", str(EXAMPLE_POLICY), "--json",
                         env=clean_environment())
    bad = await run_cli("check", "--policy", str(broken), env=clean_environment())
    bad_json = await run_cli("check", "--json", env=clean_environment(
        CHANGEGATE_POLICY=str(broken)))

    assert good.code == 0
    summary = json.loads(good.out)
    assert (summary["valid"], summary["version"]) == (True, load_policy(EXAMPLE_POLICY).version)
    assert [w["name"] for w in summary["workflows"]] == ["critical", "high", "medium", "low"]
    assert (bad.code, bad.out) == (1, "")
    assert bad.err.startswith(f"changegate: policy file {broken} has 2 problems:\n")
    assert f"{broken}: workflows[0].stage: unknown key 'stage'; did you mean 'stages'?" in bad.err
    assert f"{broken}: workflows[0].stages: is missing" in bad.err
    assert bad_json.code == 1
    assert json.loads(bad_json.out)["errors"] == [
        line.strip() for line in bad.err.splitlines()[1:]]


@pytest.mark.parametrize("command", ["check", "serve"])
async def test_a_deeply_nested_policy_is_one_clear_problem_not_a_traceback(
    tmp_path: Path, command: str
) -> None:
    policy = tmp_path / "deep.yaml"
    policy.write_text("[" * 1200 + "]" * 1200, encoding="utf-8")  # 2.4 KB
    env = clean_environment(CHANGEGATE_HOST="127.0.0.1", CHANGEGATE_PORT="0",
                            CHANGEGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}")

    ran = await run_cli(command, "--policy", str(policy), env=env)

    assert (ran.code, ran.out) == (1, "")
    assert ran.err == (f"changegate: policy file {policy} has 1 problem:\n  {policy}: "
                       f"{'[0]' * 33} (line 1, column 34): nests deeper than 32 levels, far more "
                       "than any policy needs; check the brackets and indentation there\n")


async def test_check_names_a_channel_name_and_a_url_with_a_newline(tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    hook = 'hook: {kind: webhook, url: "https://netops.example/cg\\nX-Evil: 1", secret_env: S}'
    named = LIVE_POLICY.replace("priority: 30\n", "priority: 30\n    channel: '#general'\n")
    policy.write_text(f"{named}executors:\n  {hook}\n", encoding="utf-8")

    ran = await run_cli("check", "--policy", str(policy), env=clean_environment())

    assert (ran.code, ran.out) == (1, "")
    assert ran.err.splitlines() == [
        f"changegate: policy file {policy} has 2 problems:",
        f"  {policy}: workflows[0].channel: #general is a name, and names can be renamed; use "
        "the channel's ID (C..., G... or D...); in Slack, open the channel's details: the ID is "
        "at the bottom",
        f"  {policy}: executors.hook.url: 'https://netops.example/cg\\nX-Evil: 1' contains the "
        "control character '\\n'; remove it; a policy value is one line of visible text",
    ]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack on a free port with the user group the live policy names."""
    workspace = Workspace()
    workspace.add_usergroup("S0NETENG", "neteng", ["U02AAA", "U02BBB", "U02CCC"])
    async with FakeSlack(workspace) as fake:
        yield fake


async def test_check_live_reads_user_group_sizes_from_slack(
    slack: FakeSlack, tmp_path: Path
) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(LIVE_POLICY, encoding="utf-8")
    env = clean_environment(SLACK_API_URL=slack.api_url,
                            SLACK_BOT_TOKEN=slack.workspace.bot_token)

    ran = await run_cli("check", "--live", "--policy", str(policy), env=env)
    as_json = await run_cli("check", "--live", "--json", "--policy", str(policy), env=env)

    assert ran.code == 0, ran.err
    assert ran.out.endswith("Slack user groups (live): \n  network-engineers (S0NETENG): "
                            "3 members\n")
    assert json.loads(as_json.out)["slack_usergroups"] == [
        {"group": "network-engineers", "usergroup": "S0NETENG", "size": 3}]
    assert [c.args["usergroup"] for c in slack.calls_to("usergroups.users.list")] == [
        "S0NETENG", "S0NETENG"]


async def test_check_live_fails_when_a_group_is_smaller_than_a_count(
    slack: FakeSlack, tmp_path: Path
) -> None:
    slack.workspace.usergroups["S0NETENG"].users[:] = ["U02AAA"]
    policy = tmp_path / "changegate.yaml"
    policy.write_text(LIVE_POLICY, encoding="utf-8")
    env = clean_environment(SLACK_API_URL=slack.api_url,
                            SLACK_BOT_TOKEN=slack.workspace.bot_token)

    offline = await run_cli("check", "--policy", str(policy), env=env)
    ran = await run_cli("check", "--live", "--policy", str(policy), env=env)

    assert offline.code == 0
    assert (ran.code, ran.out) == (1, "")
    assert ran.err.startswith(f"changegate: policy file {policy} has 1 problem against live "
                              "Slack user group sizes:\n")
    assert (f"{policy}: workflows[0].stages[0].require[0].count: 2 exceeds the 1 current "
            "members of Slack user group S0NETENG (group network-engineers)") in ran.err


@pytest.mark.parametrize(("env", "message"), [
    ({}, "changegate: check --live reads Slack user group sizes and needs SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-wrong"}, "changegate: Slack refused SLACK_BOT_TOKEN "
                                        "(invalid_auth)"),
])
async def test_check_live_without_a_working_token_says_so(
    slack: FakeSlack, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(LIVE_POLICY.replace("S0NETENG", "S0GONE"), encoding="utf-8")

    ran = await run_cli("check", "--live", "--policy", str(policy),
                        env=clean_environment(SLACK_API_URL=slack.api_url, **env))

    assert ran.code == 1
    assert ran.err.startswith(message)


async def test_check_live_names_a_user_group_slack_does_not_know(
    slack: FakeSlack, tmp_path: Path
) -> None:
    policy = tmp_path / "changegate.yaml"
    policy.write_text(LIVE_POLICY.replace("S0NETENG", "S0GONE"), encoding="utf-8")

    ran = await run_cli("check", "--live", "--policy", str(policy), env=clean_environment(
        SLACK_API_URL=slack.api_url, SLACK_BOT_TOKEN=slack.workspace.bot_token))

    assert ran.code == 1
    assert (f"{policy}: groups.network-engineers.slack_usergroup: Slack answered "
            "no_such_subteam for S0GONE; check the user group id") in ran.err


async def test_explain_names_the_workflow_its_stages_and_who_may_act() -> None:
    args = ("policy", "explain", "--policy", str(EXAMPLE_POLICY), "--risk", "critical",
            "--family", "core-router", "--action", "reload", "--target", "core-1")

    ran = await run_cli(*args, "--user", "U01AAA", env=clean_environment())
    contractor = await run_cli(*args, "--user", "U09CON1", "--json", env=clean_environment())

    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[:8] == [
        "change: risk=critical, family=core-router, action=reload, target=core-1",
        "workflow: critical (priority 10, match risk=critical)",
        "  timing: dry-run valid 30m, times out after 3d (expire), reminders 4h, "
        "late-apply grace 15m",
        "  apply: manual; executor: none bound: a pipeline reports the outcome; cards in C0CAB",
        "  stage 1 (Senior review):",
        "    2 of senior-network-engineers: U01AAA, U01BBB, U01CCC",
        "  stage 2 (Change Advisory Board):",
        "    1 of change-advisory-board: U07CAB1, U07CAB2",
    ]
    assert "  may submit: yes" in ran.out
    assert "  could approve stage 1 (Senior review) as a member of senior-network-engineers" \
        in ran.out
    assert "never of their own" in ran.out
    assert "Slack user groups not looked up: network-engineers (S01NETENG)" in ran.out

    body = json.loads(contractor.out)
    assert body["workflow"]["name"] == "critical"
    assert body["workflow"]["stages"][1]["requirements"] == [
        {"group": "change-advisory-board", "count": 1, "members": ["U07CAB1", "U07CAB2"],
         "slack_usergroup": None}]
    assert (body["user"]["may_submit"], body["user"]["submit_refusal"]) == (
        False, "denied by policy: members of contractors may not submit core-router/reload")
    assert body["user"]["could_approve"] == []


async def test_explain_shows_slack_groups_by_id_and_a_refusal(tmp_path: Path) -> None:
    medium = await run_cli("policy", "explain", "--policy", str(EXAMPLE_POLICY), "--risk",
                           "medium", "--family", "bgp", "--action", "add", "--target", "edge-1",
                           "--labels", "env=prod,team=net", env=clean_environment())
    policy = tmp_path / "changegate.yaml"
    policy.write_text(LIVE_POLICY.replace("    stages:\n      - require: [{group: seniors",
                                          "    match: {risk: low}\n    stages:\n"
                                          "      - require: [{group: seniors"),
                      encoding="utf-8")
    refused = await run_cli("policy", "explain", "--policy", str(policy), "--risk", "high",
                            "--family", "bgp", "--action", "add", "--target", "edge-1",
                            "--json", env=clean_environment())

    assert medium.code == 0
    assert "labels=env=prod,team=net" in medium.out
    assert "    1 of network-engineers: members of Slack user group S01NETENG" in medium.out
    assert refused.code == 1
    body = json.loads(refused.out)
    assert body["workflow"] is None
    assert body["refusal"].startswith("no approval workflow matches family=bgp, action=add, "
                                      "risk=high, target=edge-1")


async def test_explain_says_in_a_sentence_who_could_approve_through_a_slack_group() -> None:
    sandbox = EXAMPLE_POLICY.parent / "sandbox.yaml"
    ran = await run_cli("policy", "explain", "--policy", str(sandbox), "--risk", "medium",
                        "--family", "bgp", "--action", "add", "--target", "edge-1",
                        "--user", "U0RITA", env=clean_environment())

    assert ran.code == 0, ran.err
    assert ("  could approve stage 1 (Peer review) if in Slack user group network-engineers "
            "(S0NETENG), which is not looked up") in ran.out.splitlines()
