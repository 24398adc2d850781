"""A pipeline driving `changegate serve` with `submit --wait`, `apply` and `result`, as processes,
while two other people review through the API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.cli.conftest import CHANGE, PIPELINE, PLAN, SENIOR_1, SENIOR_2, Live
from tests.support.served import finish, run_cli, start_cli


async def test_submit_waits_for_two_reviews_then_applies_and_reports(
    live: Live, change_files: tuple[Path, Path], tmp_path: Path
) -> None:
    change, plan = change_files
    waiting = await start_cli("submit", "--file", str(change), "--dry-run-file", str(plan),
                              "--idempotency-key", "run-4711", "--wait", env=live.env())
    assert waiting.stdout is not None
    first = (await asyncio.wait_for(waiting.stdout.readline(), 60)).decode().strip()
    assert first.startswith("CHG-")
    cid = first

    reviewed = await live.review(SENIOR_1, cid, comment="diff looks right")
    assert reviewed["state"] == "pending_review"
    assert (await live.review(SENIOR_2, cid))["state"] == "approved"

    ran = await finish(waiting)
    assert ran.code == 0, ran.err
    assert ran.out == ""  # the id was read above; nothing else goes to stdout
    assert f"proposed {cid} pending_review, workflow high, stage 1 of 1 needs 2 of " \
           "senior-network-engineers (0 so far)" in ran.err
    assert f"{cid} approved after " in ran.err

    _, stored = await live.call(PIPELINE, "GET", f"/changes/{cid}")
    assert (stored["requester"], stored["dry_run"]["output"]) == (PIPELINE, PLAN.rstrip())

    again = await run_cli("submit", "--file", str(change), "--dry-run-file", str(plan),
                          "--idempotency-key", "run-4711", env=live.env())
    assert (again.code, again.out.strip()) == (0, cid)
    assert again.err.startswith(f"already proposed {cid} approved")

    applying = await run_cli("apply", cid, env=live.env())
    assert (applying.code, applying.out) == (0, "executing\n"), applying.err
    assert f"report with `changegate result {cid} --status applied|failed`" in applying.err

    output = tmp_path / "apply.txt"
    output.write_text("commit complete\n", encoding="utf-8")
    reported = await run_cli("result", cid, "--status", "applied", "--output-file", str(output),
                             "--json", env=live.env())
    assert reported.code == 0, reported.err
    body = json.loads(reported.out)
    assert (body["state"], body["apply"]["output"].rstrip()) == ("applied", "commit complete")

    ended = await run_cli("wait", cid, "--until", "terminal", env=live.env())
    assert (ended.code, ended.out) == (0, "applied\n")


async def test_submit_json_reads_the_change_from_stdin(live: Live, tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN, encoding="utf-8")
    body = json.dumps({"title": "Drop a stale record", "family": "dns.zone", "action": "delete",
                       "target": "example.net", "risk": "low", "payload": "old IN A 192.0.2.9"})

    ran = await run_cli("submit", "--file", "-", "--dry-run-file", str(plan), "--json",
                        env=live.env(), stdin=body.encode())

    assert ran.code == 0, ran.err
    change = json.loads(ran.out)
    assert (change["state"], change["workflow"]["name"]) == ("approved", "low")


async def test_a_refused_submission_prints_the_servers_detail(
    live: Live, tmp_path: Path
) -> None:
    unknown = tmp_path / "change.json"
    unknown.write_text(json.dumps({"title": "x", "family": "bgp", "action": "add",
                                   "target": "edge-1", "risk": "huge", "payload": "p"}))

    ran = await run_cli("submit", "--file", str(unknown), env=live.env())

    assert (ran.code, ran.out) == (1, "")
    assert ran.err.startswith("changegate: risk: ")
    assert "(HTTP 400, invalid_input)" in ran.err


async def test_a_low_risk_change_with_an_unrepresentable_schedule_is_refused(
    live: Live, tmp_path: Path
) -> None:
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"title": "Drop a stale record", "family": "dns.zone",
                                  "action": "delete", "target": "example.net", "risk": "low",
                                  "payload": "old IN A 192.0.2.9",
                                  "scheduled_for": "0001-01-01T00:00:00+14:00"}))

    ran = await run_cli("submit", "--file", str(change), env=live.env())

    assert (ran.code, ran.out) == (1, "")
    assert ran.err.startswith("changegate: scheduled_for: must be in the years 2000 to 2999 (UTC)")
    assert "(HTTP 400, invalid_input)" in ran.err


async def test_result_is_refused_before_the_apply_started(live: Live) -> None:
    cid = await live.propose()

    ran = await run_cli("result", cid, "--status", "failed", env=live.env())

    assert ran.code == 1
    assert "(HTTP 409, result_not_expected)" in ran.err
    assert "Traceback" not in ran.err


async def test_the_requester_cannot_apply_an_undecided_change(live: Live) -> None:
    cid = await live.propose()

    ran = await run_cli("apply", cid, env=live.env())

    assert ran.code == 1
    assert ran.err.startswith("changegate: ")
    assert "wrong_state" in ran.err


async def test_a_fresh_dry_run_keeps_the_approvals_only_when_unchanged(
    live: Live, tmp_path: Path
) -> None:
    cid = await live.propose()
    await live.review(SENIOR_1, cid)
    await live.review(SENIOR_2, cid)
    same, changed = tmp_path / "same.txt", tmp_path / "changed.txt"
    same.write_text(PLAN, encoding="utf-8")
    changed.write_text(PLAN + "+ neighbor 192.0.2.2 remote-as 65002\n", encoding="utf-8")

    kept = await run_cli("dry-run", cid, "--file", str(same), env=live.env())
    back = await run_cli("dry-run", cid, "--file", str(changed), env=live.env())

    assert (kept.code, kept.out) == (0, "approved\n"), kept.err
    assert (back.code, back.out) == (0, "pending_review\n"), back.err
    assert back.err.startswith(f"recorded a dry-run of {cid} pending_review, workflow high")


async def test_a_change_file_missing_fields_is_refused_naming_all_of_them(
    live: Live, tmp_path: Path
) -> None:
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"title": "x", "family": "bgp", "target": "edge-1"}))

    ran = await run_cli("submit", "--file", str(change), env=live.env())

    assert (ran.code, ran.out) == (1, "")
    assert ran.err == (f"changegate: change file {change} lacks action, risk, payload: a change "
                       "needs every one of them\n")


async def test_submit_without_a_dry_run_says_approvals_wait_for_one(
    live: Live, tmp_path: Path
) -> None:
    change = tmp_path / "change.json"
    change.write_text(json.dumps(CHANGE))

    ran = await run_cli("submit", "--file", str(change), env=live.env())

    cid = ran.out.strip()
    assert ran.code == 0, ran.err
    assert ran.err.splitlines() == [
        f"proposed {cid} draft",
        f"running the dry-run of {cid} through its executor…",
        f"{cid} has no dry-run yet, and approvals wait for one: record it with "
        f"`changegate dry-run {cid} --file out.txt` (no executor is bound to its family)",
        f"submitted {cid} pending_review, workflow high, stage 1 of 1 needs 2 of "
        "senior-network-engineers (0 so far)"]

    asked = await run_cli("dry-run", cid, env=live.env())
    assert (asked.code, asked.out) == (1, "")
    assert asked.err.endswith(
        f"changegate: {cid} has no executor bound to family bgp: report its dry-run output "
        f"instead (`changegate dry-run {cid} --file out.txt`, or POST /changes/{cid}/dry-run "
        "with the output)\n  (HTTP 409, no_executor)\n")


async def test_a_draft_file_is_proposed_as_a_draft_without_a_dry_run(
    live: Live, tmp_path: Path
) -> None:
    change = tmp_path / "change.json"
    change.write_text(json.dumps({**CHANGE, "submit": False}))

    ran = await run_cli("submit", "--file", str(change), env=live.env())

    cid = ran.out.strip()
    assert ran.code == 0, ran.err
    assert ran.err.splitlines() == [
        f"proposed {cid} draft",
        f"{cid} is a draft: `changegate edit {cid} --submit` sends it for review (running its "
        "executor's dry-run first if it has none)"]
