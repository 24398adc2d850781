"""Creating safely, listing a page at a time, and editing changes through the API."""

from __future__ import annotations

import pytest

from tests.api.harness import C1, E1, N1, N2, OUTPUT, REQ, ApiWorld, change_body


async def test_an_idempotency_key_makes_retries_return_the_same_change(api: ApiWorld) -> None:
    body = change_body(dry_run={"output": OUTPUT}, submit=True)
    key = {"Idempotency-Key": "pipeline-run-4711"}

    first = await api.call("POST", "/changes", REQ, body=body, headers=key)
    retry = await api.call("POST", "/changes", REQ, body=body, headers=key)

    assert (first.status, retry.status) == (201, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.body["id"] == first.body["id"]
    assert await api.change_count() == 1
    other_user = await api.call("POST", "/changes", N1, body=body, headers=key)
    assert other_user.status == 201
    assert other_user.body["id"] != first.body["id"]


async def test_a_key_reused_for_other_content_is_refused(api: ApiWorld) -> None:
    key = {"Idempotency-Key": "k-1"}
    await api.call("POST", "/changes", REQ, body=change_body(), headers=key)

    reused = await api.call("POST", "/changes", REQ, body=change_body(target="edge-2"),
                            headers=key)

    assert (reused.status, reused.reason) == (409, "idempotency_key_reused")
    assert await api.change_count() == 1


async def test_pages_walk_every_change_newest_first_without_repeats(api: ApiWorld) -> None:
    made = [(await api.call("POST", "/changes", REQ, body=change_body(title=f"c{i}"))).body["id"]
            for i in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = "/changes?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await api.call("GET", query, N1)
        seen += [c["id"] for c in page.body["changes"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


async def test_filters_by_state_requester_mine_and_awaiting_me(api: ApiWorld) -> None:
    high = await api.propose()
    medium = await api.propose(risk="medium")
    draft = (await api.call("POST", "/changes", N1, body=change_body())).body
    await api.call("POST", f"/changes/{high['id']}/review", N1,
                   body=await api.bound(high['id'], {"approved": True}))

    def ids(answer: object) -> list[str]:
        return [c["id"] for c in answer.body["changes"]]  # type: ignore[attr-defined]

    assert ids(await api.call("GET", "/changes?state=draft", REQ)) == [draft["id"]]
    assert ids(await api.call("GET", "/changes?state=draft,pending_review", REQ)) == [
        draft["id"], medium["id"], high["id"]]
    assert ids(await api.call("GET", "/changes?mine=true", N1)) == [draft["id"]]
    assert ids(await api.call("GET", f"/changes?requester={REQ}", N1)) == [
        medium["id"], high["id"]]
    # N1 already approved the high change; E1 is a network engineer, N2 a senior.
    assert ids(await api.call("GET", "/changes?awaiting=me", N1)) == [medium["id"]]
    assert ids(await api.call("GET", "/changes?awaiting=me", E1)) == [medium["id"]]
    assert ids(await api.call("GET", "/changes?awaiting=me", N2)) == [high["id"]]
    assert ids(await api.call("GET", "/changes?awaiting=me", REQ)) == []
    assert ids(await api.call("GET", "/changes?awaiting=me", C1)) == []


@pytest.mark.parametrize(("query", "field"), [
    ("state=bogus", "state"), ("limit=0", "limit"), ("limit=201", "limit"),
    ("cursor=abc", "cursor"), ("mine=yes", "mine"), ("awaiting=you", "awaiting"),
    ("sort=id", "sort"), ("limit=1&limit=2", "limit"),
])
async def test_a_bad_query_parameter_is_named(sqlite_api: ApiWorld, query: str,
                                              field: str) -> None:
    answer = await sqlite_api.call("GET", f"/changes?{query}", REQ)

    assert (answer.status, answer.body["field"]) == (400, field)


async def test_patch_content_makes_a_revision_and_metadata_does_not(api: ApiWorld) -> None:
    change = await api.propose()
    cid = change["id"]
    await api.call("POST", f"/changes/{cid}/review", N1,
                   body=await api.bound(cid, {"approved": True}))

    retitled = await api.call("PATCH", f"/changes/{cid}", REQ,
                              body={"title": "New title", "labels": ["env=prod"]})
    assert (retitled.body["revision"], retitled.body["state"]) == (1, "pending_review")
    assert retitled.body["metadata"]["labels"] == ["env=prod"]
    assert retitled.body["metadata"]["ticket"] == "CHG-3192"  # untouched fields stay

    revised = await api.call("PATCH", f"/changes/{cid}", N1, body={"target": "edge-2"})
    assert (revised.body["revision"], revised.body["state"]) == (2, "draft")
    assert revised.body["content"]["target"] == "edge-2"
    assert revised.body["content"]["payload"] == change["content"]["payload"]
    assert N1 in revised.body["authors"]

    scheduled = await api.call("PATCH", f"/changes/{cid}", REQ,
                               body={"scheduled_for": "2026-12-01T22:00:00+01:00"})
    assert scheduled.body["content"]["scheduled_for"] == "2026-12-01T21:00:00+00:00"
    cleared = await api.call("PATCH", f"/changes/{cid}", REQ, body={"scheduled_for": None})
    assert (cleared.body["content"]["scheduled_for"], cleared.body["revision"]) == (None, 4)


async def test_a_patch_bound_to_an_old_revision_is_refused(api: ApiWorld) -> None:
    cid = (await api.propose())["id"]
    first = await api.call("PATCH", f"/changes/{cid}", REQ,
                           body={"target": "edge-2", "revision": 1})
    assert first.body["revision"] == 2

    late = await api.call("PATCH", f"/changes/{cid}", N1, body={"target": "edge-3", "revision": 1})

    assert late.status == 409 and late.body["reason"] == "revision_changed"
    current = await api.call("GET", f"/changes/{cid}", REQ)
    assert current.body["content"]["target"] == "edge-2"
    only_revision = await api.call("PATCH", f"/changes/{cid}", REQ, body={"revision": 2})
    assert only_revision.status == 400


async def test_a_patch_that_changes_nothing_answers_the_change_as_it_is(api: ApiWorld) -> None:
    change = await api.propose()

    same = await api.call("PATCH", f"/changes/{change['id']}", REQ,
                          body={"title": change["metadata"]["title"]})

    assert same.status == 200
    assert same.body["version"] == change["version"]


async def test_a_low_risk_change_is_approved_at_submission(api: ApiWorld) -> None:
    change = await api.propose(risk="low")

    assert change["state"] == "approved"
    assert change["decided"] is True
