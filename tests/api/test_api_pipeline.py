"""A pipeline's whole flow through the API, with the same four-eyes rules as Slack."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.api.watch import ChangeWatch
from tests.api.harness import N1, N2, OUTPUT, REQ, ApiWorld, X, change_body, running_api
from tests.support.executor import ScriptedExecutor
from workflow.model import ApplyStatus


class ObservedWatch(ChangeWatch):
    """Tells the test when a long-poll has parked, so the write provably wakes it."""

    def __init__(self) -> None:
        super().__init__()
        self.parked = asyncio.Event()

    async def wait(self, ticket: asyncio.Event, seconds: float) -> bool:  # type: ignore[override]
        self.parked.set()
        return await ChangeWatch.wait(ticket, seconds)


async def test_propose_review_wait_apply_and_report(api: ApiWorld) -> None:
    created = await api.call("POST", "/changes", REQ, body=change_body(
        dry_run={"output": OUTPUT}, submit=True))
    assert created.status == 201
    change = created.body
    cid = change["id"]
    assert created.headers["Location"] == f"/api/v1/changes/{cid}"
    assert (change["state"], change["requester"], change["revision"]) == (
        "pending_review", REQ, 1)
    assert change["dry_run"]["producer"] == REQ
    assert change["progress"][0]["requirements"][0] == {
        "group": "senior-network-engineers", "count": 2, "approvers": [], "met": False}

    first = await api.call("POST", f"/changes/{cid}/review", N1,
                           body=await api.bound(cid, {"approved": True,
                                                      "comment": "diff looks right"}))
    assert (first.status, first.body["state"]) == (200, "pending_review")
    assert first.body["progress"][0]["requirements"][0]["approvers"] == [N1]

    second = await api.call("POST", f"/changes/{cid}/review", N2,
                            body=await api.bound(cid, {"approved": True}))
    assert second.body["state"] == "approved"

    waited = await api.call("GET", f"/changes/{cid}/wait?until=decided&timeout=5", REQ)
    assert waited.status == 200
    assert (waited.body["reached"], waited.body["change"]["state"]) == (True, "approved")

    started = await api.call("POST", f"/changes/{cid}/apply", REQ)
    assert started.body["state"] == "executing"
    key = started.body["apply"]["key"]
    assert key == f"{cid}:1:{change['dry_run']['digest']}"

    reported = await api.call("POST", f"/changes/{cid}/result", REQ,
                              body={"status": "applied", "output": "commit complete", "key": key})
    assert reported.body["state"] == "applied"
    assert reported.body["apply"]["output"] == "commit complete"
    assert reported.body["terminal"] is True

    history = await api.call("GET", f"/changes/{cid}/history", REQ)
    kinds = [e["record"]["kind"] for e in history.body["events"]]
    assert kinds == ["proposed", "dry_run_recorded", "submitted", "response", "response",
                     "stage_approved", "approved", "apply_started", "applied"]
    assert [e["record"]["actor"] for e in history.body["events"]][3:5] == [N1, N2]


async def test_the_requesters_own_token_cannot_review(api: ApiWorld) -> None:
    change = await api.propose()

    refused = await api.call("POST", f"/changes/{change['id']}/review", REQ,
                             body=await api.bound(change['id'], {"approved": True}))

    assert refused.status == 409
    assert refused.reason == "self_approval"
    assert refused.body["detail"] == (
        f"you requested {change['id']}; another approver must review it (four-eyes rule)")
    after = await api.call("GET", f"/changes/{change['id']}", REQ)
    assert after.body["responses"] == []
    history = await api.call("GET", f"/changes/{change['id']}/history", REQ)
    refusal = history.body["events"][-1]["record"]
    assert (refusal["kind"], refusal["actor"], refusal["data"]["reason"]) == (
        "refused", REQ, "self_approval")


async def test_identity_comes_from_the_token_never_from_the_body(api: ApiWorld) -> None:
    spoofed = await api.call("POST", "/changes", N1, body=change_body(requester=REQ))
    assert (spoofed.status, spoofed.body["field"]) == (400, "requester")

    change = await api.propose(user=N1)
    assert change["requester"] == N1


async def test_long_poll_wakes_when_another_request_approves(api: ApiWorld) -> None:
    api.deps.wait_poll_s = 3600  # only the API's own write can wake the waiter in time
    watch = ObservedWatch()
    api.deps.watch = watch
    change = await api.propose()
    cid = change["id"]
    await api.call("POST", f"/changes/{cid}/review", N1,
                   body=await api.bound(cid, {"approved": True}))

    waiting = asyncio.create_task(api.call("GET", f"/changes/{cid}/wait?timeout=60", REQ))
    await asyncio.wait_for(watch.parked.wait(), 10)  # the handler read the change and waits
    await api.call("POST", f"/changes/{cid}/review", N2,
                   body=await api.bound(cid, {"approved": True}))
    waited = await asyncio.wait_for(waiting, 30)

    assert waited.body["reached"] is True
    assert waited.body["change"]["state"] == "approved"
    assert waited.body["waited_s"] < 30


async def test_wait_answers_the_current_state_when_time_is_up(api: ApiWorld) -> None:
    change = await api.propose()

    waited = await api.call("GET", f"/changes/{change['id']}/wait?until=terminal&timeout=0",
                            REQ)

    assert waited.status == 200
    assert (waited.body["reached"], waited.body["until"]) == (False, "terminal")
    assert waited.body["change"]["state"] == "pending_review"


async def test_withdraw_is_the_request_for_the_requester_and_an_approval_for_others(
    api: ApiWorld,
) -> None:
    change = await api.propose()
    cid = change["id"]
    await api.call("POST", f"/changes/{cid}/review", N1,
                   body=await api.bound(cid, {"approved": True}))

    mine = await api.call("POST", f"/changes/{cid}/withdraw", N1,
                          body={"comment": "the window moved"})
    assert mine.body["state"] == "pending_review"
    assert mine.body["responses"][0]["ended"] == "withdrawn"
    history = await api.call("GET", f"/changes/{cid}/history", REQ)
    withdrawn = [e["record"] for e in history.body["events"]
                 if e["record"]["kind"] == "withdrawn"]
    assert [w["data"]["comment"] for w in withdrawn] == ["the window moved"]

    cancelled = await api.call("POST", f"/changes/{cid}/withdraw", REQ)
    assert cancelled.body["state"] == "cancelled"


async def test_reject_needs_a_reason_and_rejects_at_once(api: ApiWorld) -> None:
    change = await api.propose()
    cid = change["id"]

    blank = await api.call("POST", f"/changes/{cid}/review", N1,
                           body=await api.bound(cid, {"approved": False}))
    assert (blank.status, blank.reason, blank.body["field"]) == (400, "comment_required",
                                                                 "comment")
    rejected = await api.call("POST", f"/changes/{cid}/review", N1,
                              body=await api.bound(cid, {"approved": False,
                                                         "comment": "rollback misses edge-2"}))
    assert rejected.body["state"] == "rejected"


async def test_draft_then_dry_run_then_submit_and_comments(api: ApiWorld) -> None:
    draft = await api.call("POST", "/changes", REQ, body=change_body())
    cid = draft.body["id"]
    assert (draft.body["state"], draft.body["dry_run"]) == ("draft", None)

    recorded = await api.call("POST", f"/changes/{cid}/dry-run", REQ,
                              body={"output": OUTPUT, "revision": 1})
    assert recorded.body["dry_run"]["output"] == OUTPUT
    submitted = await api.call("POST", f"/changes/{cid}/submit", REQ)
    assert submitted.body["state"] == "pending_review"
    noted = await api.call("POST", f"/changes/{cid}/comments", X,
                           body={"text": "during the freeze?"})
    assert noted.status == 201
    assert noted.body["comments"][0]["person"] == X


async def test_an_unknown_apply_is_resolved_by_a_person(api: ApiWorld) -> None:
    change = await api.propose()
    cid = change["id"]
    for person in (N1, N2):
        await api.call("POST", f"/changes/{cid}/review", person,
                       body=await api.bound(cid, {"approved": True}))
    await api.call("POST", f"/changes/{cid}/apply", REQ)
    key = f"{cid}:1:{change['dry_run']['digest']}"
    await api.engine.record_outcome(cid, REQ, key, ApplyStatus.UNKNOWN, "timed out")

    unnoted = await api.call("POST", f"/changes/{cid}/resolve", N1,
                             body={"status": "applied", "note": " "})
    assert (unnoted.status, unnoted.body["field"]) == (400, "note")
    resolved = await api.call("POST", f"/changes/{cid}/resolve", N1,
                              body={"status": "applied", "note": "checked the router"})
    assert resolved.body["state"] == "applied"
    assert resolved.body["apply"]["resolved_by"] == N1


async def test_an_empty_dry_run_body_runs_the_bound_executor(tmp_path: Path) -> None:
    executor = ScriptedExecutor(dry_run_output="+ executor output")
    async with running_api("sqlite", tmp_path, executor=executor) as api:
        draft = await api.call("POST", "/changes", REQ, body=change_body())

        ran = await api.call("POST", f"/changes/{draft.body['id']}/dry-run", N1)

        assert ran.status == 200
        assert ran.body["dry_run"]["output"] == "+ executor output"
        assert ran.body["dry_run"]["producer"] == N1
        assert executor.dry_runs == [draft.body["id"]]
