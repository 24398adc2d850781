"""Reviews through the API name what the reviewer was shown (scenarios 35 and 36): a review
without its revision or digest is a 400, and one naming a revision or a dry-run the change has
left behind is refused, alone or in POST /reviews."""

from __future__ import annotations

from typing import Any

from tests.api.harness import N1, REQ, ApiWorld, change_body


async def revised(api: ApiWorld, change: dict[str, Any]) -> dict[str, Any]:
    """The requester withdraws, edits into revision 2 with its own dry-run, and submits."""
    cid = change["id"]
    await api.call("POST", f"/changes/{cid}/withdraw", REQ, body={})
    edited = await api.call("PATCH", f"/changes/{cid}", REQ,
                            body={"payload": "no router bgp 65000", "revision": 1})
    assert edited.status == 200, edited.body
    await api.call("POST", f"/changes/{cid}/dry-run", REQ,
                   body={"output": "- router bgp 65000", "revision": 2})
    submitted = await api.call("POST", f"/changes/{cid}/submit", REQ, body={})
    assert (submitted.body["revision"], submitted.body["state"]) == (2, "pending_review")
    return dict(submitted.body)


def shown(change: dict[str, Any]) -> dict[str, Any]:
    """The binding of a change as read."""
    digest = change["dry_run"]["digest"] if change["dry_run"] else None
    return {"revision": change["revision"], "digest": f"sha256:{digest}" if digest else "none"}


async def test_36_a_review_of_revision_1_is_refused_once_revision_2_is_submitted(
        api: ApiWorld) -> None:
    read = (await api.call("GET", f"/changes/{(await api.propose())['id']}", N1)).body
    cid = read["id"]
    await revised(api, read)

    single = await api.call("POST", f"/changes/{cid}/review", N1,
                            body={"approved": True, **shown(read)})
    bulk = await api.call("POST", "/reviews", N1, body={"reviews": [
        {"id": cid, "approved": True, **shown(read)}]})

    assert (single.status, single.reason) == (409, "revision_changed")
    assert [(r["status"], r["reason"]) for r in bulk.body["results"]] == [
        (409, "revision_changed")]
    assert (await api.call("GET", f"/changes/{cid}", N1)).body["responses"] == []


async def test_36_a_review_naming_nothing_is_a_400_naming_the_field(api: ApiWorld) -> None:
    cid = (await api.propose())["id"]

    bare = await api.call("POST", f"/changes/{cid}/review", N1, body={"approved": True})
    no_digest = await api.call("POST", f"/changes/{cid}/review", N1,
                               body={"approved": True, "revision": 1})
    bulk = await api.call("POST", "/reviews", N1, body={"reviews": [
        {"id": cid, "approved": True, "revision": 1}]})
    garbage = await api.call("POST", f"/changes/{cid}/review", N1,
                             body={"approved": True, "revision": 1, "digest": "latest"})

    assert (bare.status, bare.body["field"]) == (400, "revision")
    assert (no_digest.status, no_digest.body["field"]) == (400, "digest")
    assert (bulk.status, bulk.body["field"]) == (400, "reviews[0].digest")
    assert (garbage.status, garbage.body["field"]) == (400, "digest")
    assert (await api.call("GET", f"/changes/{cid}", N1)).body["responses"] == []


async def test_35_an_approval_of_no_dry_run_never_counts_on_one_recorded_later(
        api: ApiWorld) -> None:
    created = await api.call("POST", "/changes", REQ, body=change_body(submit=True))
    read = created.body
    assert read["dry_run"] is None and shown(read)["digest"] == "none"
    await api.call("POST", f"/changes/{read['id']}/dry-run", REQ,
                   body={"output": "+ neighbor 192.0.2.1", "revision": 1})

    for digest in ("none", None):
        answer = await api.call("POST", "/reviews", N1, body={"reviews": [
            {"id": read["id"], "approved": True, "revision": 1, "digest": digest}]})
        assert [r["reason"] for r in answer.body["results"]] == ["digest_changed"]
    assert "since you saw no dry-run" in answer.body["results"][0]["detail"]
