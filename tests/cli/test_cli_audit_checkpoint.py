"""Scenario 40 through the operator's commands next to a live server: the export of one change's
life says what was approved, by whom and under which policy, and a checkpoint of the chain's head
shows the tail someone cut off."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tests.cli.conftest import CHANGE, SENIOR_1, SENIOR_2, Live
from tests.support.served import run_cli


async def test_40_the_export_of_a_change_names_what_was_approved_and_by_whom(
        live: Live, tmp_path: Path) -> None:
    served = live.served
    status, proposed = await live.call("U0PIPE1", "POST", "/changes", {
        **CHANGE, "dry_run": {"output": "+ neighbor 192.0.2.1 remote-as 65001\n"},
        "submit": True})
    assert status == 201, proposed
    cid, digest = proposed["id"], proposed["dry_run"]["digest"]
    for senior in (SENIOR_1, SENIOR_2):
        status, body = await live.call(senior, "POST", f"/changes/{cid}/review", {
            "approved": True, "revision": 1, "digest": f"sha256:{digest}"})
        assert status == 200, body

    exported = await run_cli("audit", "export", "--change", cid, *served.operator_args(),
                             env=served.env)

    assert exported.code == 0, exported.err
    records = [json.loads(line)["record"] for line in exported.out.splitlines()]
    proposal = next(r["data"] for r in records if r["kind"] == "proposed")
    assert (proposal["family"], proposal["target"]) == ("bgp", "edge-1")
    assert proposal["payload_sha256"] == hashlib.sha256(str(CHANGE["payload"]).encode()).hexdigest()
    approved = next(r["data"] for r in records if r["kind"] == "approved")
    assert [(a["person"], a["digest"]) for stage in approved["stages"]
            for a in stage["approvers"]] == [(SENIOR_1, digest), (SENIOR_2, digest)]
    version = hashlib.sha256(served.policy.read_bytes()).hexdigest()
    assert {r["policy_version"] for r in records} == {version}


async def test_verify_against_a_checkpoint_names_the_tail_cut_off(live: Live,
                                                                  tmp_path: Path) -> None:
    served = live.served
    await live.propose()
    head = tmp_path / "head.json"

    taken = await run_cli("audit", "checkpoint", "--out", str(head), *served.operator_args(),
                          env=served.env)
    checkpoint = json.loads(head.read_text())
    held = await run_cli("audit", "verify", "--checkpoint", str(head), *served.operator_args(),
                         env=served.env)
    with sqlite3.connect(served.database) as conn:  # what someone with file access could do
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute("DELETE FROM audit_events WHERE seq = ?", (checkpoint["seq"],))
    conn.close()
    plain = await run_cli("audit", "verify", *served.operator_args(), env=served.env)
    cut = await run_cli("audit", "verify", "--checkpoint", str(head), *served.operator_args(),
                        env=served.env)

    assert taken.code == 0, taken.err
    assert taken.out.startswith(f"audit checkpoint: seq {checkpoint['seq']}, hash ")
    assert sorted(checkpoint) == ["at", "hash", "seq", "taken_at"]
    assert (held.code, held.out.endswith("; it holds the checkpointed head\n")) == (0, True)
    assert plain.code == 0  # the chain alone cannot tell its end was cut
    last = checkpoint["seq"] - 1
    assert (cut.code, cut.out) == (1, "")
    assert cut.err.startswith(f"changegate: audit log truncated: seq {checkpoint['seq']} "
                              f"missing (the log ends at seq {last}; the checkpoint has seq "
                              f"{checkpoint['seq']}, hash {checkpoint['hash'][:12]}…"), cut.err


async def test_a_checkpoint_needs_somewhere_to_go_and_a_readable_file(live: Live,
                                                                      tmp_path: Path) -> None:
    served = live.served
    nowhere = await run_cli("audit", "checkpoint", *served.operator_args(), env=served.env)
    missing = await run_cli("audit", "verify", "--checkpoint", str(tmp_path / "none.json"),
                            *served.operator_args(), env=served.env)

    assert (nowhere.code, nowhere.err) == (1, "changegate: say where the checkpoint goes: "
                                              "--out FILE and/or --slack-channel C…\n")
    assert missing.code == 1
    assert missing.err.startswith(f"changegate: cannot read checkpoint {tmp_path / 'none.json'}")
