"""POST /reviews: several reviews in one call, each decided on its own with every rule."""

from __future__ import annotations

from tests.api.harness import E1, N1, N2, OUTPUT, ApiWorld, X
from workflow.digest import output_digest

SHOWN = {"revision": 1, "digest": f"sha256:{output_digest(OUTPUT)}"}  # what api.propose shows


async def test_a_mix_of_allowed_and_refused_items_gets_one_result_each(api: ApiWorld) -> None:
    high = await api.propose()
    medium = await api.propose(risk="medium")
    own = await api.propose(user=N1)
    rejected = await api.propose()
    digest = "sha256:" + "0" * 64

    answer = await api.call("POST", "/reviews", N1, body={"reviews": [
        {"id": high["id"], "approved": True, **SHOWN},
        {"id": medium["id"], "approved": True, "comment": "looks fine", **SHOWN},
        {"id": own["id"], "approved": True, **SHOWN},
        {"id": rejected["id"], "approved": False, "comment": "", **SHOWN},
        {"id": rejected["id"], "approved": False, "comment": "wrong AS", **SHOWN,
         "digest": digest},
        {"id": "CHG-999999", "approved": True, **SHOWN},
        {"id": "not-a-change", "approved": True, **SHOWN},
    ]})

    assert answer.status == 207
    got = [(r["id"], r["status"], r["reason"]) for r in answer.body["results"]]
    assert got == [
        (high["id"], 200, None),
        (medium["id"], 200, None),
        (own["id"], 409, "self_approval"),
        (rejected["id"], 400, "comment_required"),
        (rejected["id"], 409, "digest_changed"),
        ("CHG-999999", 404, "not_found"),
        ("not-a-change", 404, "not_found"),
    ]
    assert (answer.body["reviewed"], answer.body["refused"]) == (2, 5)
    results = answer.body["results"]
    assert results[0]["change"]["state"] == "pending_review"
    assert results[1]["change"]["state"] == "approved"
    assert "another approver" in results[2]["detail"]
    assert results[2]["change"] is None
    for untouched in (own, rejected):
        reread = await api.call("GET", f"/changes/{untouched['id']}", N1)
        assert (reread.body["state"], reread.body["responses"]) == ("pending_review", [])


async def test_rejecting_several_records_the_one_reason_on_each(api: ApiWorld) -> None:
    first, second = await api.propose(), await api.propose()

    answer = await api.call("POST", "/reviews", N2, body={"reviews": [
        {"id": cid, "approved": False, "comment": "freeze week", **SHOWN}
        for cid in (first["id"], second["id"])]})

    assert [r["change"]["state"] for r in answer.body["results"]] == ["rejected", "rejected"]
    history = await api.call("GET", f"/changes/{second['id']}/history", N2)
    responses = [e["record"]["data"] for e in history.body["events"]
                 if e["record"]["kind"] == "response"]
    assert responses[-1]["comment"] == "freeze week"


async def test_stage_eligibility_and_staleness_hold_per_item(api: ApiWorld) -> None:
    fresh = await api.propose(risk="medium")
    api.clock.advance(minutes=31)
    renewed = await api.propose(risk="medium")

    by_stranger = await api.call("POST", "/reviews", X, body={"reviews": [
        {"id": renewed["id"], "approved": True, **SHOWN}]})
    by_engineer = await api.call("POST", "/reviews", E1, body={"reviews": [
        {"id": fresh["id"], "approved": True, **SHOWN},
        {"id": renewed["id"], "approved": True, **SHOWN}]})

    assert by_stranger.body["results"][0]["reason"] == "not_eligible"
    assert [r["reason"] for r in by_engineer.body["results"]] == ["stale_dry_run", None]


async def test_a_malformed_item_refuses_the_whole_call_before_anything_is_decided(
        api: ApiWorld) -> None:
    change = await api.propose()

    answer = await api.call("POST", "/reviews", N1, body={"reviews": [
        {"id": change["id"], "approved": True, **SHOWN}, {"id": change["id"]}]})
    empty = await api.call("POST", "/reviews", N1, body={"reviews": []})

    assert (answer.status, answer.body["field"]) == (400, "reviews[1].approved")
    assert (empty.status, empty.body["field"]) == (400, "reviews")
    assert (await api.call("GET", f"/changes/{change['id']}", N1)).body["responses"] == []


async def test_bulk_review_needs_the_review_scope(api: ApiWorld) -> None:
    change = await api.propose()
    reader = await api.token(N1, ("read",))

    answer = await api.call("POST", "/reviews", token=reader, body={"reviews": [
        {"id": change["id"], "approved": True, **SHOWN}]})

    assert (answer.status, answer.reason) == (403, "insufficient_scope")
