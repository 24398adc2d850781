"""A pipeline on the sandbox policy (examples/sandbox.yaml), where a `command` executor is bound to
every family: `submit`, `edit --submit` and `dry-run` without a file get the dry-run from that
executor, then the change is reviewed and applied, all without touching Slack (issue 27)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CHANGE, PLAN, Live
from tests.support.served import ROOT, run_cli, serving

PIPELINE, SAM, SUE, CARA = "U0PIPE1", "U0SAM", "U0SUE", "U0CARA"  # seniors and CAB of the policy
SANDBOX_POLICY = ROOT / "examples" / "sandbox.yaml"
DIGEST = r"sha256:[0-9a-f]{12} \(\d+ line\(s\)\)"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`changegate serve` with the sandbox policy and its demo executor."""
    with serving(tmp_path_factory.mktemp("sandbox"), SANDBOX_POLICY) as served:
        tokens = {PIPELINE: served.token(PIPELINE, "read,submit,apply", "pipeline")}
        for person in (SAM, SUE, CARA):
            tokens[person] = served.token(person, "read,review")
        yield Live(served, tokens)


def change_file(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "change.json"
    path.write_text(json.dumps({**CHANGE, **fields}), encoding="utf-8")
    return path


async def submitted(sandbox: Live, tmp_path: Path, **fields: object) -> str:
    ran = await run_cli("submit", "--file", str(change_file(tmp_path, **fields)),
                        env=sandbox.env(PIPELINE))
    assert ran.code == 0, ran.err
    return ran.out.strip()


async def test_submit_gets_the_executors_dry_run_then_review_and_apply(
    sandbox: Live, tmp_path: Path
) -> None:
    ran = await run_cli("submit", "--file", str(change_file(tmp_path, risk="critical")),
                        env=sandbox.env(PIPELINE))

    assert ran.code == 0, ran.err
    cid = ran.out.strip()
    lines = ran.err.splitlines()
    assert lines[0] == f"proposed {cid} draft"
    assert lines[1] == f"running the dry-run of {cid} through its executor…"
    assert re.fullmatch(f"its executor ran the dry-run of {cid} revision 1: {DIGEST}", lines[2])
    assert lines[3] == (f"submitted {cid} pending_review, workflow critical, stage 1 of 2 needs "
                        "2 of senior-network-engineers (0 so far)")
    _, change = await sandbox.call(PIPELINE, "GET", f"/changes/{cid}")
    assert (change["dry_run"]["source"], change["dry_run"]["producer"]) == ("executor", PIPELINE)
    assert change["dry_run"]["output"].startswith("--- edge-1 running-config")

    for person in (SAM, SUE, CARA):
        reviewed = await sandbox.review(person, cid)
    assert reviewed["state"] == "approved"
    applied = await run_cli("apply", cid, env=sandbox.env(PIPELINE))

    assert (applied.code, applied.out) == (0, "applied\n"), applied.err


async def test_dry_run_without_a_file_runs_the_executor_and_typed_output_is_refused(
    sandbox: Live, tmp_path: Path
) -> None:
    cid = await submitted(sandbox, tmp_path)

    again = await run_cli("dry-run", cid, env=sandbox.env(PIPELINE))

    assert (again.code, again.out) == (0, "pending_review\n"), again.err
    assert again.err.startswith(f"running the dry-run of {cid} through its executor…\n"
                                f"its executor ran the dry-run of {cid} revision 1: ")
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN, encoding="utf-8")
    typed = await run_cli("dry-run", cid, "--file", str(plan), env=sandbox.env(PIPELINE))
    assert (typed.code, typed.out) == (1, "")
    assert typed.err == (
        f"changegate: {cid} accepts only a dry-run produced by its executor demo, not output "
        "reported by a person or pipeline: run the dry-run through the executor instead "
        f"(`changegate dry-run {cid}` without --file, POST /changes/{cid}/dry-run with no "
        "output, or Run dry-run on its card)\n  (HTTP 409, dry_run_source)\n")


async def test_submit_with_a_dry_run_file_is_refused_naming_no_change(
    sandbox: Live, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN, encoding="utf-8")

    ran = await run_cli("submit", "--file", str(change_file(tmp_path)), "--dry-run-file",
                        str(plan), env=sandbox.env(PIPELINE))

    assert (ran.code, ran.out) == (1, "")
    assert ran.err.startswith("changegate: nothing was proposed: this change's workflow accepts "
                              "only a dry-run produced by its executor")
    assert "`changegate submit` without --dry-run-file then runs the executor's dry-run" in ran.err
    assert ran.err.endswith("(HTTP 409, dry_run_source)\n")
    assert "CHG-" not in ran.err


async def test_edit_submit_runs_the_executors_dry_run_of_the_new_revision(
    sandbox: Live, tmp_path: Path
) -> None:
    cid = await submitted(sandbox, tmp_path)

    ran = await run_cli("edit", cid, "--set", "target=edge-2", "--submit",
                        env=sandbox.env(PIPELINE))

    assert (ran.code, ran.out) == (0, f"{cid}\n"), ran.err
    lines = ran.err.splitlines()
    assert lines[0].startswith(f"{cid} is now revision 2, a draft")
    assert lines[1] == f"running the dry-run of {cid} through its executor…"
    assert re.fullmatch(f"its executor ran the dry-run of {cid} revision 2: {DIGEST}", lines[2])
    assert lines[3].startswith(f"submitted {cid} pending_review, workflow high")
    _, change = await sandbox.call(PIPELINE, "GET", f"/changes/{cid}")
    assert (change["revision"], change["dry_run"]["revision"]) == (2, 2)
    assert change["dry_run"]["output"].startswith("--- edge-2 running-config")
