"""Small things a walk through the CLI found (issue 27, item 6), run through the CLI's main in
this process, on real SQLite files: the shipped examples check clean as they are meant to be
served, a command without a policy says how to name one, an operator command on a sandbox's
policy points at the sandbox's database, `policy explain --sandbox` names the members the users
file gives, and `review` never says "approved, now approved"."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.review import line

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXPLAIN = ("policy", "explain", "--risk", "medium", "--family", "bgp", "--action", "add",
           "--target", "edge-1", "--user", "U0RITA")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith(("CHANGEGATE_", "SLACK_")):
            monkeypatch.delenv(name)


def ran(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sandbox_copy(into: Path) -> Path:
    for name in ("sandbox.yaml", "sandbox-users.yaml"):
        shutil.copyfile(EXAMPLES / name, into / name)
    return into / "sandbox.yaml"


def test_the_sandbox_example_checks_clean_as_the_sandbox_serves_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(EXAMPLES / "sandbox.yaml")

    code, out, err = ran(capsys, "check", "--sandbox", "--policy", policy)
    plain = ran(capsys, "check", "--policy", policy)
    as_json = ran(capsys, "check", "--sandbox", "--json", "--policy", policy)

    assert (code, err) == (0, "")
    assert (f"as the sandbox serves it: people and Slack user groups from "
            f"{EXAMPLES / 'sandbox-users.yaml'}; cards of workflows that name no channel go to "
            "C0CHANGES") in out
    assert plain[0] == 0 and "may reach no one" in plain[2]  # without it, check cannot know
    assert plain[2].splitlines()[-1] == (
        f"note: {EXAMPLES / 'sandbox-users.yaml'} is beside the policy: `changegate check "
        "--sandbox` checks it as the sandbox serves it, with that file's people and channels")
    summary = json.loads(as_json[1])
    assert (summary["warnings"], summary["sandbox"]["channel"]) == ([], "C0CHANGES")


def test_the_production_example_checks_clean_as_its_header_says(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    policy = EXAMPLES / "changegate.yaml"
    assert "SLACK_CHANNEL=C0CHANGES changegate check --policy changegate.yaml" in (
        policy.read_text(encoding="utf-8"))
    monkeypatch.setenv("SLACK_CHANNEL", "C0CHANGES")

    assert ran(capsys, "check", "--policy", str(policy))[::2] == (0, "")


def test_check_and_explain_without_a_policy_say_how_to_name_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    said = ("changegate: policy file changegate.yaml does not exist: pass --policy PATH (or set "
            "CHANGEGATE_POLICY), or write a starter policy with `changegate init`\n")

    assert ran(capsys, "check") == (1, "", said)
    assert ran(capsys, *EXPLAIN) == (1, "", said)
    code, out, _ = ran(capsys, "check", "--json")
    assert code == 1 and json.loads(out)["errors"] == [said.removeprefix("changegate: ").strip()]
    assert os.listdir(tmp_path) == []


def test_an_operator_command_on_a_sandbox_policy_points_at_the_sandboxs_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(sandbox_copy(tmp_path))
    assert ran(capsys, "db", "upgrade", "--sandbox", "--policy", policy)[0] == 0

    code, out, err = ran(capsys, "audit", "export", "--policy", policy)
    sandboxed = ran(capsys, "audit", "export", "--sandbox", "--policy", policy)

    assert (code, out) == (1, "")
    assert err == (f"changegate: database sqlite+aiosqlite:///{tmp_path}/changegate.db does not "
                   "exist: run `changegate db upgrade` first; the sandbox's database "
                   f"{tmp_path}/sandbox.db is beside the policy: add --sandbox to use it\n")
    assert sandboxed[0] == 0, sandboxed[2]
    assert sorted(os.listdir(tmp_path)) == ["sandbox-users.yaml", "sandbox.db", "sandbox.yaml"]


def test_explain_in_the_sandbox_names_the_members_its_users_file_gives(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(sandbox_copy(tmp_path))

    code, out, err = ran(capsys, *EXPLAIN, "--sandbox", "--policy", policy)
    plain = ran(capsys, *EXPLAIN, "--policy", policy)
    as_json = json.loads(ran(capsys, *EXPLAIN, "--sandbox", "--json", "--policy", policy)[1])

    users = tmp_path / "sandbox-users.yaml"
    assert (code, err) == (0, "")
    assert (f"    1 of network-engineers: U0NINA, U0RITA (Slack user group S0NETENG, as "
            f"{users} has it)") in out.splitlines()
    assert "  could approve stage 1 (Peer review) as a member of network-engineers" in out
    assert "not looked up" not in out
    assert "which is not looked up" in plain[1]  # without --sandbox, as before
    assert plain[2] == (f"note: {users} is beside the policy: `changegate policy explain "
                        "--sandbox` names the members it gives its Slack user groups\n")
    [requirement] = as_json["workflow"]["stages"][0]["requirements"]
    assert requirement["members"] == ["U0NINA", "U0RITA"]
    assert as_json["user"]["groups"] == ["network-engineers"]
    assert as_json["usergroup_members_from"] == str(users)


def change(state: str) -> dict[str, object]:
    return {"id": "CHG-7", "state": state, "workflow": {"name": "high"}, "active_stage": None,
            "progress": []}


@pytest.mark.parametrize(("state", "verdict", "said"), [
    ("approved", "approved", "CHG-7 approved: the last approval it needed, now approved, "
                             "workflow high"),
    ("rejected", "rejected", "CHG-7 rejected, workflow high"),
    ("pending_review", "approved", "CHG-7 approved, now pending_review, workflow high"),
])
def test_a_review_line_never_says_the_same_word_twice_in_a_row(
        state: str, verdict: str, said: str) -> None:
    assert line({"id": "CHG-7", "change": change(state)}, verdict) == said
