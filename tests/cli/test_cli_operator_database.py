"""The operator commands refuse a missing policy file instead of creating a database beside it,
and name the database they used: production's, or the sandbox's with --sandbox."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.served import EXAMPLE_POLICY, clean_environment, run_cli

CREATE = ("token", "create", "--user", "U0RITA", "--name", "rita-cli", "--scopes", "read,submit")


@pytest.mark.parametrize("command", [CREATE, ("token", "list"), ("audit", "verify"),
                                     ("audit", "export"), ("db", "upgrade")])
async def test_a_missing_policy_file_is_named_and_no_database_is_created(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    ran = await run_cli(*command, env=clean_environment(), cwd=tmp_path)

    assert (ran.code, ran.out) == (1, "")
    assert ran.err.startswith("changegate: policy file changegate.yaml does not exist")
    assert "--policy" in ran.err and "`changegate init`" in ran.err
    assert os.listdir(tmp_path) == []


async def test_token_create_names_the_database_and_sandbox_picks_the_sandboxs(
        tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    shutil.copy(EXAMPLE_POLICY, policy)
    env = clean_environment()

    production = await run_cli(*CREATE, "--json", "--policy", str(policy), env=env)
    sandbox = await run_cli(*CREATE, "--json", "--sandbox", "--policy", str(policy), env=env)
    listed = await run_cli("token", "list", "--json", "--sandbox", "--policy", str(policy),
                           env=env)

    assert production.code == 0, production.err
    assert production.err.endswith(f"database: sqlite+aiosqlite:///{tmp_path}/changegate.db\n")
    assert sandbox.code == 0, sandbox.err
    assert sandbox.err.endswith(f"database: sqlite+aiosqlite:///{tmp_path}/sandbox.db\n")
    assert sorted(os.listdir(tmp_path)) == [
        "changegate.db", "policy.yaml", "sandbox.db"]
    assert [t["id"] for t in json.loads(listed.out)] == [json.loads(sandbox.out)["id"]]
