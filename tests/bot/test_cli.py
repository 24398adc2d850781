"""`changegate check` summarises a valid policy and lists every problem of a broken one."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli.main import main
from workflow.policy import load_policy

BROKEN_POLICY = """\
groups:
  seniors: {members: [U1, U2]}
workflows:
  - name: high
    priority: 20
    match: {risk: high}
    stages:
      - name: Senior review
        require: [{group: seniors, count: 3}]
  - name: medium
    priority: 30
    match: {risk: medium}
    stages:
      - require: [{group: nobody, count: 1}]
"""


def test_check_summarises_the_example_policy(
    example_policy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_CHANNEL", "C0CHANGES")  # as served: no workflow reaches no one
    policy = load_policy(example_policy)

    assert main(["check", "--policy", str(example_policy)]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    assert f"version: {policy.version}" in out
    for group in policy.groups:
        assert group in out
    listed = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    by_priority = sorted(policy.workflows, key=lambda w: w.priority)
    assert [line.split(":")[0] for line in listed] == [
        f"{w.priority}  {w.name}" for w in by_priority
    ]


def test_check_reads_the_policy_path_from_the_environment(
    example_policy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHANGEGATE_POLICY", str(example_policy))

    assert main(["check"]) == 0

    assert capsys.readouterr().out.startswith(f"{example_policy}: valid")


def test_check_lists_every_problem_with_its_key_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_POLICY, encoding="utf-8")

    assert main(["check", "--policy", str(path)]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"changegate: policy file {path} has 2 problems:\n")
    assert "workflows[0].stages[0].require[0].count" in err
    assert "workflows[1].stages[0].require[0].group" in err
    assert "Traceback" not in err


def test_check_reports_a_missing_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.yaml"

    assert main(["check", "--policy", str(missing)]) == 1

    err = capsys.readouterr().err
    assert str(missing) in err
    assert "Traceback" not in err


def test_malformed_setting_is_named(
    example_policy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHANGEGATE_PORT", "http")

    assert main(["check", "--policy", str(example_policy)]) == 1

    assert capsys.readouterr().err.startswith("changegate: CHANGEGATE_PORT must be a whole number")


def test_serve_reports_a_port_in_use(
    example_policy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("CHANGEGATE_PORT", str(port))
        monkeypatch.setenv("CHANGEGATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}")

        assert main(["serve", "--sandbox", "--policy", str(example_policy)]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"changegate: cannot listen on 127.0.0.1:{port}")


def test_serve_reports_a_database_it_cannot_open(
    example_policy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHANGEGATE_DATABASE_URL", "postgresql+asyncpg://bot:s3cret@127.0.0.1:1/cg")

    assert main(["serve", "--sandbox", "--policy", str(example_policy)]) == 1

    err = capsys.readouterr().err
    assert err.startswith("changegate: cannot open database postgresql+asyncpg://bot:***@")
    assert "s3cret" not in err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])

    assert caught.value.code == 2
    assert "usage: changegate" in capsys.readouterr().err
