"""The operator's commands as processes next to a live server: a token's whole life, seen by
the API, and `audit verify` finding a removed row."""

from __future__ import annotations

import json
import sqlite3

from tests.cli.conftest import SENIOR_1, SENIOR_2, Live
from tests.support.served import run_cli


async def test_a_token_is_created_listed_used_and_revoked(live: Live) -> None:
    served = live.served
    created = await run_cli("token", "create", "--user", "U0CI0001", "--name", "ci-deploy",
                            "--scopes", "read", "--json", *served.operator_args(), env=served.env)
    assert created.code == 0, created.err
    token = json.loads(created.out)
    cid = await live.propose()

    used = await run_cli("wait", cid, "--timeout", "0", env=served.client_env(token["token"]))
    listed = await run_cli("token", "list", *served.operator_args(), env=served.env)
    revoked = await run_cli("token", "revoke", "ci-deploy", *served.operator_args(),
                            env=served.env)
    refused = await run_cli("wait", cid, "--timeout", "0", env=served.client_env(token["token"]))
    again = await run_cli("token", "revoke", token["id"], *served.operator_args(),
                          env=served.env)
    listed_json = await run_cli("token", "list", "--json", *served.operator_args(),
                                env=served.env)

    assert (used.code, used.out) == (4, "pending_review\n")
    row = next(line for line in listed.out.splitlines() if "ci-deploy" in line)
    assert row.split()[:4] == [token["id"], "ci-deploy", "U0CI0001", "read"]
    assert token["token"] not in listed.out
    assert revoked.out == f"token ci-deploy (id {token['id']}, acting as U0CI0001) revoked\n"
    assert refused.code == 1
    assert "(HTTP 401, invalid_token)" in refused.err
    assert (again.code, again.out) == (0, f"token ci-deploy (id {token['id']}, acting as "
                                          "U0CI0001) was already revoked\n")
    mine = next(t for t in json.loads(listed_json.out) if t["id"] == token["id"])
    assert mine["revoked_at"] is not None


async def test_audit_verify_names_the_row_after_a_removed_one(live: Live) -> None:
    cid = await live.propose()
    await live.review(SENIOR_1, cid)
    await live.review(SENIOR_2, cid)
    served = live.served

    intact = await run_cli("audit", "verify", *served.operator_args(), env=served.env)
    with sqlite3.connect(served.database) as conn:  # what someone with file access could do
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute("DELETE FROM audit_events WHERE seq = 2")
    conn.close()
    broken = await run_cli("audit", "verify", *served.operator_args(), env=served.env)

    assert intact.code == 0, intact.err
    assert intact.out.startswith("audit chain ok: ")
    assert (broken.code, broken.out) == (1, "")
    assert broken.err.startswith("changegate: audit chain broken at seq 3: prev_hash breaks "
                                 "the chain")
