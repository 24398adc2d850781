"""What needs the token's user, what they approved that is still open, and copy as new, through
the API on every backend."""

from __future__ import annotations

from tests.api.harness import N1, N2, OUTPUT, REQ, Answer, ApiWorld, change_body


def ids(answer: Answer) -> list[str]:
    assert answer.status == 200, answer.body
    return [c["id"] for c in answer.body["changes"]]


async def failed(api: ApiWorld) -> str:
    """A low-risk change a pipeline applied and reported failed."""
    cr = await api.propose(risk="low")
    assert (await api.call("POST", f"/changes/{cr['id']}/apply", REQ)).body["state"] \
        == "executing"
    result = await api.call("POST", f"/changes/{cr['id']}/result", REQ,
                            body={"status": "failed", "output": "error: commit failed"})
    assert result.body["state"] == "failed"
    return str(cr["id"])


async def test_needs_action_lists_my_rejected_change_and_approved_by_lists_what_i_approved(
        api: ApiWorld) -> None:
    rejected = (await api.propose())["id"]
    await api.call("POST", f"/changes/{rejected}/review", N1,
                   body=await api.bound(rejected, {"approved": True}))
    await api.call("POST", f"/changes/{rejected}/review", N2,
                   body=await api.bound(rejected, {"approved": False, "comment": "use edge-2"}))
    halfway = (await api.propose())["id"]
    await api.call("POST", f"/changes/{halfway}/review", N1,
                   body=await api.bound(halfway, {"approved": True}))
    await api.propose()  # in review: needs nobody's action yet

    assert ids(await api.call("GET", "/changes?needs_action=me", REQ)) == [rejected]
    assert ids(await api.call("GET", "/changes?needs_action=me", N1)) == []
    assert ids(await api.call("GET", "/changes?approved_by=me", N1)) == [halfway]
    assert ids(await api.call("GET", "/changes?approved_by=me&state=approved", N1)) == []
    assert ids(await api.call("GET", "/changes?approved_by=me", N2)) == []
    for query in ("needs_action=you", "approved_by=U123"):
        bad = await api.call("GET", f"/changes?{query}", REQ)
        assert (bad.status, bad.body["field"]) == (400, query.split("=")[0])


async def test_a_failed_change_is_copied_as_a_new_draft_that_names_its_source(
        api: ApiWorld) -> None:
    source = await failed(api)

    copied = await api.call("POST", f"/changes/{source}/copy", N1)

    assert copied.status == 201, copied.body
    new = copied.body["id"]
    assert copied.headers["Location"] == f"/api/v1/changes/{new}"
    assert (copied.body["state"], copied.body["requester"], copied.body["revision"]) == (
        "draft", N1, 1)
    assert copied.body["content"]["payload"] == change_body()["payload"]
    assert copied.body["dry_run"] is None
    history = await api.call("GET", f"/changes/{new}/history", N1)
    [proposed] = [e for e in history.body["events"] if e["record"]["kind"] == "proposed"]
    assert proposed["record"]["data"]["copied_from"] == source
    assert proposed["record"]["data"]["copied_revision"] == 1
    await api.call("POST", f"/changes/{new}/dry-run", N1, body={"output": OUTPUT})
    submitted = await api.call("POST", f"/changes/{new}/submit", N1)
    assert submitted.body["state"] == "approved"  # low risk, as the first one was


async def test_copying_a_change_in_review_is_refused_saying_why(api: ApiWorld) -> None:
    in_review = (await api.propose())["id"]
    before = await api.change_count()

    refused = await api.call("POST", f"/changes/{in_review}/copy", REQ)

    assert (refused.status, refused.reason) == (409, "wrong_state")
    assert refused.body["detail"].startswith(f"cannot copy: {in_review} is pending review")
    assert "edit it instead, or withdraw it first" in refused.body["detail"]
    assert await api.change_count() == before
    missing = await api.call("POST", "/changes/CHG-999/copy", REQ)
    assert (missing.status, missing.reason) == (404, "not_found")
