"""POST /changes/{id}/post-review: the requester's review of an applied or failed change."""

from __future__ import annotations

from tests.api.harness import N1, REQ, ApiWorld

LINK = "https://grafana.example.net/d/bgp"


async def _ended(api: ApiWorld, status: str = "applied") -> str:
    """A low-risk change applied by a pipeline that reports its outcome."""
    cid = str((await api.propose(risk="low"))["id"])
    assert (await api.call("POST", f"/changes/{cid}/apply", REQ)).body["state"] == "executing"
    reported = await api.call("POST", f"/changes/{cid}/result", REQ, body={"status": status})
    assert reported.body["state"] == status
    return cid


async def test_the_requester_records_a_review_shown_on_the_change_and_in_history(
        api: ApiWorld) -> None:
    cid = await _ended(api, "failed")

    answer = await api.call("POST", f"/changes/{cid}/post-review", REQ, body={
        "outcome": "rolled_back", "note": "session never came up", "links": [LINK]})

    assert answer.status == 200
    review = answer.body["post_review"]
    assert (review["outcome"], review["note"], review["links"], review["by"]) == (
        "rolled_back", "session never came up", [LINK], REQ)
    history = await api.call("GET", f"/changes/{cid}/history", N1)
    assert history.body["events"][-1]["record"]["kind"] == "post_reviewed"


async def test_someone_else_or_a_change_still_in_review_is_refused(api: ApiWorld) -> None:
    cid = await _ended(api)
    pending = (await api.propose())["id"]
    body = {"outcome": "successful", "note": "fine"}

    other = await api.call("POST", f"/changes/{cid}/post-review", N1, body=body)
    early = await api.call("POST", f"/changes/{pending}/post-review", REQ, body=body)
    unknown = await api.call("POST", f"/changes/{cid}/post-review", REQ,
                             body={"outcome": "meh", "note": "fine"})
    bad_link = await api.call("POST", f"/changes/{cid}/post-review", REQ,
                              body={**body, "links": ["javascript:alert(1)"]})

    assert (other.status, other.reason) == (409, "not_requester")
    assert (early.status, early.reason) == (409, "wrong_state")
    assert (unknown.status, unknown.body["field"]) == (400, "outcome")
    assert (bad_link.status, bad_link.body["field"]) == (400, "links[0]")
    assert (await api.call("GET", f"/changes/{cid}", REQ)).body["post_review"] is None


async def test_metrics_count_changes_by_the_outcome_of_their_latest_review(
        api: ApiWorld) -> None:
    first, second = await _ended(api), await _ended(api, "failed")
    for cid, outcome in ((first, "failed"), (first, "successful"), (second, "rolled_back")):
        await api.call("POST", f"/changes/{cid}/post-review", REQ,
                       body={"outcome": outcome, "note": "as seen"})

    text = (await api.call("GET", "/metrics", REQ)).body

    lines = [line for line in text.splitlines()
             if line.startswith("changegate_changes_by_review_outcome{")]
    assert lines == [
        'changegate_changes_by_review_outcome{outcome="successful"} 1',
        'changegate_changes_by_review_outcome{outcome="successful_with_issues"} 0',
        'changegate_changes_by_review_outcome{outcome="rolled_back"} 1',
        'changegate_changes_by_review_outcome{outcome="failed"} 0',
    ]
