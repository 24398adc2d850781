"""A pipeline gets a change's dry-run from the executor bound to its family, over the API only
(issue 27): the executor runs it, reported output is refused naming the field, and every refusal
names only a change that exists and says what works instead."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from tests.api.harness import N1, N2, POLICY, REQ, ApiWorld, change_body, running_api
from tests.support.executor import ScriptedExecutor

EXECUTOR_OUTPUT = "--- edge-1 running-config\n+neighbor 192.0.2.1 remote-as 65001"
# Every family is bound to a `command` executor, as in examples/sandbox.yaml: its workflows
# accept only the dry-run that executor produces (the policy's default for own executors).
EXECUTOR_POLICY = POLICY + """
executors:
  demo: {kind: command, argv: [demo-executor], timeout: 30s}
default_executor: demo
"""


def running(tmp_path: Path, executor: ScriptedExecutor, policy_text: str = EXECUTOR_POLICY
            ) -> AbstractAsyncContextManager[ApiWorld]:
    """The API over SQLite with `executor` bound to every family."""
    return running_api("sqlite", tmp_path, executor=executor, policy_text=policy_text)


async def draft(api: ApiWorld, risk: str = "high") -> str:
    """A draft proposed through the API, without a dry-run."""
    created = await api.call("POST", "/changes", REQ, body=change_body(risk))
    assert (created.status, created.body["state"]) == (201, "draft"), created.body
    return str(created.body["id"])


async def test_a_pipeline_gets_the_executors_dry_run_the_approvals_and_the_apply(
    tmp_path: Path,
) -> None:
    executor = ScriptedExecutor(dry_run_output=EXECUTOR_OUTPUT)
    async with running(tmp_path, executor) as api:
        cid = await draft(api)

        ran = await api.call("POST", f"/changes/{cid}/dry-run", REQ)
        assert ran.status == 200, ran.body
        assert ran.body["dry_run"]["output"] == EXECUTOR_OUTPUT
        assert (ran.body["dry_run"]["source"], ran.body["dry_run"]["producer"]) == (
            "executor", REQ)
        assert executor.dry_runs == [cid]

        submitted = await api.call("POST", f"/changes/{cid}/submit", REQ)
        assert submitted.body["state"] == "pending_review"
        assert (submitted.body["workflow"]["executor"], submitted.body["workflow"]["dry_run"]) == (
            "demo", "executor")
        for person in (N1, N2):
            reviewed = await api.call("POST", f"/changes/{cid}/review", person,
                                      body=await api.bound(cid, {"approved": True}))
            assert reviewed.status == 200, reviewed.body
        assert reviewed.body["state"] == "approved"

        applied = await api.call("POST", f"/changes/{cid}/apply", REQ)

        assert (applied.status, applied.body["state"]) == (200, "applied"), applied.body
        assert executor.applies == [f"{cid}:1:{ran.body['dry_run']['digest']}"]
        history = await api.call("GET", f"/changes/{cid}/history", REQ)
        assert [e["record"]["kind"] for e in history.body["events"]] == [
            "proposed", "dry_run_recorded", "submitted", "response", "response",
            "stage_approved", "approved", "apply_started", "applied"]


async def test_reported_output_is_refused_naming_the_field_and_what_works(
    tmp_path: Path,
) -> None:
    executor = ScriptedExecutor(dry_run_output=EXECUTOR_OUTPUT)
    async with running(tmp_path, executor) as api:
        proposed = await api.call("POST", "/changes", REQ, body=change_body(
            dry_run={"output": "+ harmless"}, submit=True))

        assert (proposed.status, proposed.reason) == (409, "dry_run_source")
        assert proposed.body["field"] == "dry_run.output"
        detail = proposed.body["detail"]
        assert detail.startswith("nothing was proposed: this change's workflow accepts only a "
                                 "dry-run produced by its executor, not output reported by a "
                                 "person or pipeline: propose it without the output")
        assert "`changegate submit` without --dry-run-file" in detail
        assert "POST /changes/{id}/dry-run with no output" in detail
        assert "CHG-" not in detail  # the change was never created: no id to name
        assert await api.change_count() == 0

        cid = await draft(api)
        typed = await api.call("POST", f"/changes/{cid}/dry-run", REQ,
                               body={"output": "+ harmless", "revision": 1})
        assert (typed.status, typed.reason, typed.body["field"]) == (
            409, "dry_run_source", "output")
        assert typed.body["detail"] == (
            f"{cid} accepts only a dry-run produced by its executor, not output reported by a "
            "person or pipeline: run the dry-run through the executor instead (`changegate "
            f"dry-run {cid}` without --file, POST /changes/{cid}/dry-run with no output, or Run "
            "dry-run on its card)")

        await api.call("POST", f"/changes/{cid}/dry-run", REQ)
        await api.call("POST", f"/changes/{cid}/submit", REQ)
        again = await api.call("POST", f"/changes/{cid}/dry-run", REQ, body={"output": "+ x"})
        assert (again.status, again.body["field"]) == (409, "output")
        assert again.body["detail"].startswith(
            f"{cid} accepts only a dry-run produced by its executor demo, not output reported")
        assert executor.dry_runs == [cid]


async def test_a_self_applying_change_is_refused_without_its_dry_run_naming_no_change(
    tmp_path: Path,
) -> None:
    executor = ScriptedExecutor(dry_run_output=EXECUTOR_OUTPUT)
    auto_low = EXECUTOR_POLICY.replace("family: [bgp, dns.zone]}, stages: []}",
                                       "family: [bgp, dns.zone]}, apply: auto, stages: []}")
    assert auto_low != EXECUTOR_POLICY
    async with running(tmp_path, executor, auto_low) as api:
        refused = await api.call("POST", "/changes", REQ, body=change_body("low", submit=True))

        assert (refused.status, refused.reason) == (409, "no_dry_run")
        assert refused.body["detail"] == (
            "nothing was proposed: this change needs no approval under workflow low and applies "
            "by itself once submitted, so it needs its dry-run first: propose it as a draft "
            "(submit: false), run its executor's dry-run (POST /changes/{id}/dry-run with no "
            "output), then submit it; `changegate submit` does all three")
        assert await api.change_count() == 0

        cid = await draft(api, risk="low")
        early = await api.call("POST", f"/changes/{cid}/submit", REQ)
        assert (early.status, early.reason) == (409, "no_dry_run")
        assert early.body["detail"] == (
            f"{cid} needs no approval under workflow low and applies by itself once submitted: "
            f"run its dry-run first (`changegate dry-run {cid}` without --file, POST "
            f"/changes/{cid}/dry-run with no output, or Run dry-run on its card), then submit")

        await api.call("POST", f"/changes/{cid}/dry-run", REQ)
        submitted = await api.call("POST", f"/changes/{cid}/submit", REQ)
        assert submitted.body["state"] == "approved"


async def test_a_workflow_taking_reported_output_never_runs_the_executor(tmp_path: Path) -> None:
    executor = ScriptedExecutor(dry_run_output=EXECUTOR_OUTPUT)
    reported = EXECUTOR_POLICY.replace("{name: high, priority: 20,",
                                       "{name: high, priority: 20, dry_run: reported,")
    assert "dry_run: reported" in reported
    async with running(tmp_path, executor, reported) as api:
        cid = await draft(api)

        refused = await api.call("POST", f"/changes/{cid}/dry-run", REQ)

        assert (refused.status, refused.reason) == (409, "dry_run_source")
        assert refused.body["detail"] == (
            f"{cid} accepts only a dry-run reported by its pipeline (policy dry_run: reported), "
            "not one produced by an executor: report the output instead (`changegate dry-run "
            f"{cid} --file out.txt`, or POST /changes/{cid}/dry-run with the output)")
        assert executor.dry_runs == []
        recorded = await api.call("POST", f"/changes/{cid}/dry-run", REQ,
                                  body={"output": "+ from the pipeline"})
        assert recorded.body["dry_run"]["source"] == "reported"


async def test_without_an_executor_the_refusal_says_how_to_report_the_output(
    sqlite_api: ApiWorld,
) -> None:
    cid = await draft(sqlite_api)

    refused = await sqlite_api.call("POST", f"/changes/{cid}/dry-run", REQ)

    assert (refused.status, refused.reason) == (409, "no_executor")
    assert refused.body["detail"] == (
        f"{cid} has no executor bound to family bgp: report its dry-run output instead "
        f"(`changegate dry-run {cid} --file out.txt`, or POST /changes/{cid}/dry-run with the "
        "output)")
