"""`changegate abort` as a pipeline's operator runs it against `changegate serve`: the request
is recorded, `wait --until abort` sees it, and the pipeline's failure is recorded as aborted."""

from __future__ import annotations

import json

from tests.cli.conftest import PIPELINE, SENIOR_1, SENIOR_2, Live
from tests.support.served import run_cli


async def test_abort_is_seen_by_wait_and_the_reported_failure_is_aborted(live: Live) -> None:
    cid = await live.propose()
    await live.review(SENIOR_1, cid)
    await live.review(SENIOR_2, cid)
    assert (await run_cli("apply", cid, env=live.env())).out == "executing\n"

    missing = await run_cli("abort", cid, env=live.env())
    asked = await run_cli("abort", cid, "--reason", "the peer is flapping", env=live.env())
    seen = await run_cli("wait", cid, "--until", "abort", "--json", env=live.env())
    failed = await run_cli("result", cid, "--status", "failed", "--json", env=live.env())

    assert missing.code == 1 and "required: --reason" in missing.err
    assert (asked.code, asked.out) == (0, "executing\n"), asked.err
    assert "abort requested" in asked.err
    assert json.loads(seen.out)["reached"] is True
    body = json.loads(failed.out)
    assert (body["state"], body["apply"]["aborted"]) == ("failed", True)
    assert body["apply"]["abort_requested_by"] == PIPELINE
    again = await run_cli("abort", cid, "--reason", "again", env=live.env())
    assert again.code == 1 and "(HTTP 409, wrong_state)" in again.err
