"""Reloading the policy file without a restart: new submissions follow it at once, changes in
flight keep their snapshot, and an invalid file is refused while the old policy stays."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.api.harness import C1, E1, N1, N2, POLICY, REQ, ApiWorld, running_api
from tests.api.test_api_ops import samples

# medium changes now need two senior engineers instead of one network engineer
STRICTER = POLICY.replace(
    "stages: [{require: [{group: network-engineers, count: 1}]}]}",
    "stages: [{require: [{group: senior-network-engineers, count: 2}]}]}")
RENAMED = POLICY.replace("change-advisory-board", "cab")  # a valid rename of the CAB
BROKEN = POLICY.replace("count: 1}]}]}", "count: 0}]}]}")


async def admin(api: ApiWorld) -> str:
    return await api.token("UADMIN", ("admin",), name="operator")


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def policy_path(api: ApiWorld) -> Path:
    assert api.deps.policy is not None
    return api.deps.policy.path


async def test_a_reload_applies_to_new_submissions_and_in_flight_changes_keep_theirs(
        api: ApiWorld) -> None:
    assert STRICTER != POLICY
    before = await api.propose(risk="medium")
    policy_path(api).write_text(STRICTER, encoding="utf-8")

    answer = await api.call("POST", "/admin/reload-policy", token=await admin(api))

    assert answer.status == 200
    assert answer.body == {"policy_version": version_of(STRICTER),
                           "previous_version": version_of(POLICY), "changed": True,
                           "kept_apart": []}
    after = await api.propose(risk="medium")
    assert after["workflow"]["policy_version"] == version_of(STRICTER)
    assert before["workflow"]["policy_version"] == version_of(POLICY)
    refused = await api.call("POST", f"/changes/{after['id']}/review", E1,
                             body=await api.bound(after['id'], {"approved": True}))
    assert refused.reason == "not_eligible"
    kept = await api.call("POST", f"/changes/{before['id']}/review", E1,
                          body=await api.bound(before['id'], {"approved": True}))
    assert kept.body["state"] == "approved"  # the snapshot taken at its submit still holds
    one = await api.call("POST", f"/changes/{after['id']}/review", N1,
                         body=await api.bound(after['id'], {"approved": True}))
    assert one.body["state"] == "pending_review"
    ready = await api.call("GET", "/readyz")
    assert ready.body["policy_version"] == version_of(STRICTER)
    metrics = samples((await api.call("GET", "/metrics", REQ)).body)
    assert metrics[("changegate_policy_info", (("version", version_of(STRICTER)),))] == 1


async def test_38_a_renamed_group_leaves_in_flight_changes_their_definition(
        api: ApiWorld) -> None:
    critical = await api.propose(risk="critical")
    for senior in (N1, N2):
        await api.call("POST", f"/changes/{critical['id']}/review", senior,
                       body=await api.bound(critical["id"], {"approved": True}))
    policy_path(api).write_text(RENAMED, encoding="utf-8")

    answer = await api.call("POST", "/admin/reload-policy", token=await admin(api))
    approved = await api.call("POST", f"/changes/{critical['id']}/review", C1,
                              body=await api.bound(critical["id"], {"approved": True}))

    assert answer.status == 200, answer.body
    assert answer.body["kept_apart"] == [
        f"{critical['id']} keeps group change-advisory-board, which this policy no longer "
        "defines; it is reviewed by the definition it was submitted with"]
    assert (approved.status, approved.body["state"]) == (200, "approved")
    fresh = await api.propose(risk="critical")
    assert fresh["workflow"]["stages"][1]["require"][0]["group"] == "cab"


async def test_a_broken_file_is_refused_naming_the_key_path_and_the_old_policy_stays(
        sqlite_api: ApiWorld) -> None:
    api = sqlite_api
    policy_path(api).write_text(BROKEN, encoding="utf-8")

    answer = await api.call("POST", "/admin/reload-policy", token=await admin(api))

    assert answer.status == 422
    assert answer.reason == "invalid_policy"
    assert answer.body["policy_version"] == version_of(POLICY)
    assert any("workflows[2].stages[0].require[0].count" in e for e in answer.body["errors"]), \
        answer.body["errors"]
    change = await api.propose(risk="medium")
    assert change["workflow"]["policy_version"] == version_of(POLICY)
    approved = await api.call("POST", f"/changes/{change['id']}/review", E1,
                              body=await api.bound(change['id'], {"approved": True}))
    assert approved.body["state"] == "approved"
    assert (await api.call("GET", "/readyz")).body["policy_version"] == version_of(POLICY)


async def test_reloading_needs_the_admin_scope(sqlite_api: ApiWorld) -> None:
    answer = await sqlite_api.call("POST", "/admin/reload-policy", REQ)

    assert (answer.status, answer.reason) == (403, "insufficient_scope")


async def test_the_watcher_reloads_a_changed_file_and_skips_a_broken_one(tmp_path: Path) -> None:
    async with running_api("memory", tmp_path) as api:
        holder = api.deps.policy
        assert holder is not None
        assert holder.check() is None  # unchanged: nothing read again

        holder.path.write_text(BROKEN, encoding="utf-8")
        assert holder.check() is None
        assert holder.version == version_of(POLICY)

        holder.path.write_text(STRICTER, encoding="utf-8")
        reloaded = holder.check()
        assert reloaded is not None and reloaded.version == version_of(STRICTER)
        change = await api.propose(risk="medium")
        assert change["workflow"]["policy_version"] == version_of(STRICTER)
        assert holder.check() is None
