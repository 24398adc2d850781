"""POST /changes/{id}/abort: an operator asks to stop a running apply, with a reason; an outside
pipeline sees it in GET and `wait?until=abort`, stops, and reports the outcome."""

from __future__ import annotations

from tests.api.harness import N1, N2, REQ, ApiWorld, X


async def executing(api: ApiWorld) -> str:
    change = await api.propose()
    for person in (N1, N2):
        await api.call("POST", f"/changes/{change['id']}/review", person,
                       body=await api.bound(change['id'], {"approved": True}))
    started = await api.call("POST", f"/changes/{change['id']}/apply", REQ)
    assert started.body["state"] == "executing"
    return str(change["id"])


async def test_the_pipeline_sees_the_abort_and_its_failure_is_recorded_as_aborted(
        api: ApiWorld) -> None:
    cid = await executing(api)
    missing = await api.call("POST", f"/changes/{cid}/abort", N1, body={})
    assert (missing.status, missing.body["field"]) == (400, "reason")
    stranger = await api.call("POST", f"/changes/{cid}/abort", X, body={"reason": "stop"})
    assert (stranger.status, stranger.reason) == (409, "not_permitted")

    asked = await api.call("POST", f"/changes/{cid}/abort", N1,
                           body={"reason": "the peer is flapping"})

    assert asked.status == 200
    assert asked.body["state"] == "executing"
    assert asked.body["apply"]["abort_requested"] is True
    assert asked.body["apply"]["abort_reason"] == "the peer is flapping"
    seen = await api.call("GET", f"/changes/{cid}/wait?until=abort&timeout=0", REQ)
    assert seen.body["reached"] is True
    again = await api.call("POST", f"/changes/{cid}/abort", REQ, body={"reason": "stop"})
    assert (again.status, again.reason) == (409, "abort_not_possible")
    reported = await api.call("POST", f"/changes/{cid}/result", REQ,
                              body={"status": "failed", "output": "stopped by the pipeline"})
    assert reported.body["state"] == "failed"
    assert reported.body["apply"]["aborted"] is True
    history = await api.call("GET", f"/changes/{cid}/history", REQ)
    kinds = [e["record"]["kind"] for e in history.body["events"]
             if e["record"]["kind"] != "refused"]
    assert kinds[-3:] == ["apply_started", "abort_requested", "failed"]
    late = await api.call("POST", f"/changes/{cid}/abort", N1, body={"reason": "stop"})
    assert (late.status, late.reason) == (409, "wrong_state")


async def test_wait_until_abort_is_not_reached_while_the_apply_just_runs(
        sqlite_api: ApiWorld) -> None:
    cid = await executing(sqlite_api)

    waited = await sqlite_api.call("GET", f"/changes/{cid}/wait?until=abort&timeout=0", REQ)

    assert waited.body["reached"] is False
