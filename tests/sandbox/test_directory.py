"""The sandbox's people come from the users file beside the policy, completed from the policy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.sandbox.directory import REQUESTER, DirectoryError, load_directory, users_file
from tests.sandbox.support import EXAMPLES, copy_examples
from workflow.policy import load_policy


def test_the_example_users_file_gives_the_quickstarts_people() -> None:
    policy_path = EXAMPLES / "sandbox.yaml"

    directory = load_directory(load_policy(policy_path), policy_path)

    w = directory.workspace
    assert directory.default_channel == "C0CHANGES"
    assert directory.source == str(EXAMPLES / "sandbox-users.yaml")
    assert [u.real_name for u in w.users.values()] == [
        "Rita Requester", "Sam Senior", "Sue Senior", "Sid Senior", "Cara CAB", "Chen CAB",
        "Nina Network"]
    assert w.users["U0SUE"].tz == "Asia/Tokyo" and w.users["U0SUE"].tz_offset == 9 * 3600
    assert w.usergroups["S0NETENG"].users == ["U0NINA", "U0RITA"]
    assert {c.name for c in w.channels.values() if c.user is None} == {"changes", "cab"}
    assert {c.user for c in w.channels.values() if c.user} == set(w.users)  # every DM is open


def test_without_a_users_file_the_policy_names_the_people() -> None:
    policy_path = EXAMPLES / "changegate.yaml"
    assert not users_file(policy_path).exists()

    directory = load_directory(load_policy(policy_path), policy_path)

    w = directory.workspace
    assert set(w.users) == {REQUESTER, "U01AAA", "U01BBB", "U01CCC", "U07CAB1", "U07CAB2",
                            "U09CON1"}
    assert w.users["U01AAA"].name == "u01aaa" and w.users["U01AAA"].tz == "UTC"
    assert w.usergroups["S01NETENG"].users == []  # a user group nobody described
    assert set(w.channels) >= {"C0CHANGES", "C0CAB"}


def test_people_the_policy_names_but_the_file_forgets_are_added(tmp_path: Path) -> None:
    policy_path = copy_examples(tmp_path)
    text = policy_path.read_text().replace("[U0SAM, U0SUE, U0SID]", "[U0SAM, U0SUE, U0NEW]")
    policy_path.write_text(text)

    directory = load_directory(load_policy(policy_path), policy_path)

    assert "U0NEW" in directory.workspace.users
    assert directory.workspace.users["U0SID"].real_name == "Sid Senior"  # still in the file


@pytest.mark.parametrize(("replace", "by", "problem"), [
    ("workspace: ChangeGate Sandbox", "workspaces: x", "top level: unknown key 'workspaces'"),
    ("tz: Asia/Tokyo}", "tz: Asia/Tokio}", "users[2].tz: unknown time zone 'Asia/Tokio'"),
    ("members: [U0NINA, U0RITA]", "members: [U0NINA, U0BOB]", "not listed: U0BOB"),
    ("{id: C0CAB, name: cab}", "{id: C0CAB}", "channels[1].name: is missing"),
    ("usergroups:\n  - {id: S0NETENG, handle: network-engineers, members: [U0NINA, U0RITA]}",
     "usergroups: S0NETENG", "usergroups: write a list"),
])
def test_a_malformed_users_file_is_named(tmp_path: Path, replace: str, by: str,
                                         problem: str) -> None:
    policy_path = copy_examples(tmp_path)
    users = users_file(policy_path)
    assert replace in users.read_text()
    users.write_text(users.read_text().replace(replace, by))

    with pytest.raises(DirectoryError) as raised:
        load_directory(load_policy(policy_path), policy_path)

    assert str(raised.value).startswith(f"{users}: ")
    assert problem in str(raised.value)


def test_a_users_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    policy_path = tmp_path / "sandbox.yaml"
    shutil.copyfile(EXAMPLES / "sandbox.yaml", policy_path)
    users_file(policy_path).write_text("users: [\n")

    with pytest.raises(DirectoryError, match="cannot read the sandbox users file"):
        load_directory(load_policy(policy_path), policy_path)
