"""What a reviewer was shown is what counts (scenarios 35 and 36): every review names the revision
and the dry-run digest it was given, "no dry-run" included, and the decision compares them with
the change inside its transaction, on every storage backend."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.support.backends import Backend
from tests.support.world import World
from workflow.errors import DigestChanged, NoDryRun, RevisionChanged
from workflow.model import State
from workflow.seen import Seen


async def refusals(backend: Backend, change_id: str) -> list[dict[str, Any]]:
    return [dict(r.record["data"]) for r in await backend.audit_rows()
            if r.record["kind"] == "refused" and r.record["change_id"] == change_id]


async def test_35_an_approval_given_on_no_dry_run_never_counts_on_one_recorded_later(
    world: World, backend: Backend
):
    cr = await world.propose("high", dry_run=False)
    form = Seen.of(cr)  # the Approve form opened now says there is no dry-run yet
    assert form == Seen(1, None)
    after = await world.engine.record_dry_run(cr.id, "req", "+ neighbor 192.0.2.1")
    assert after.dry_run is not None

    with pytest.raises(DigestChanged, match=f"since you saw no dry-run: it is now "
                                            f"sha256:{after.dry_run.digest[:12]}"):
        await world.engine.approve(cr.id, "n1", form)

    stored = await world.get(cr.id)
    assert stored.live_responses() == () and stored.state is State.PENDING_REVIEW
    assert [r["reason"] for r in await refusals(backend, cr.id)] == ["digest_changed"]


async def test_35_a_rejection_is_bound_to_no_dry_run_the_same_way(world: World):
    cr = await world.propose("high", dry_run=False)
    await world.engine.record_dry_run(cr.id, "req", "+ neighbor 192.0.2.1")
    with pytest.raises(DigestChanged):
        await world.engine.reject(cr.id, "n1", Seen(1, None), "not like this")
    assert (await world.get(cr.id)).state is State.PENDING_REVIEW


async def test_no_dry_run_seen_and_none_recorded_is_refused_as_no_dry_run(world: World):
    cr = await world.propose("high", dry_run=False)
    with pytest.raises(NoDryRun, match="run a dry-run"):
        await world.engine.approve(cr.id, "n1", Seen.of(cr))


async def test_36_a_review_of_revision_1_is_refused_once_revision_2_is_submitted(world: World):
    read = await world.propose("high")  # n1 reads revision 1
    seen = Seen.of(read)
    await world.engine.withdraw_request(read.id, "req")
    content = replace(read.content, payload="no router bgp 65000")
    revised = await world.engine.edit(read.id, "req", content=content, revision=1)
    await world.engine.record_dry_run(read.id, "req", "- router bgp 65000")
    await world.engine.submit(read.id, "req")
    assert revised.revision == 2

    for review in (world.engine.approve(read.id, "n1", seen),
                   world.engine.reject(read.id, "n1", seen, "no")):
        with pytest.raises(RevisionChanged, match="at revision 2 now, not the revision 1"):
            await review
    stored = await world.get(read.id)
    assert stored.live_responses() == () and stored.state is State.PENDING_REVIEW
