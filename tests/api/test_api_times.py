"""Times outside the years 2000 to 2999 (UTC) are a 400 naming the field, never clamped."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.harness import REQ, ApiWorld, change_body

OUT_OF_RANGE = (
    "0001-01-01T00:00:00+14:00",  # not expressible in UTC: it used to become 2000-01-01
    "9999-12-31T23:59:59-12:00",  # likewise, past the last year Python can hold
    "1999-12-31T23:59:59Z",
    "2999-12-31T23:59:59-12:00",  # 3000-01-01T11:59:59Z
)
DETAIL = "must be in the years 2000 to 2999 (UTC), got "


@pytest.mark.parametrize("when", OUT_OF_RANGE)
async def test_a_schedule_out_of_range_creates_nothing(sqlite_api: ApiWorld, when: str) -> None:
    body = change_body(risk="low", scheduled_for=when, dry_run={"output": "+ x"}, submit=True)

    answer = await sqlite_api.call("POST", "/changes", REQ, body=body)

    assert (answer.status, answer.reason, answer.body["field"]) == (
        400, "invalid_input", "scheduled_for")
    assert answer.body["detail"] == f"scheduled_for: {DETAIL}{when!r}"
    assert await sqlite_api.change_count() == 0


@pytest.mark.parametrize("when", OUT_OF_RANGE)
async def test_a_schedule_out_of_range_edits_nothing(sqlite_api: ApiWorld, when: str) -> None:
    created = await sqlite_api.call("POST", "/changes", REQ, body=change_body())
    path = f"/changes/{created.body['id']}"

    answer = await sqlite_api.call("PATCH", path, REQ, body={"scheduled_for": when})

    assert (answer.status, answer.body["field"]) == (400, "scheduled_for")
    after = await sqlite_api.call("GET", path, REQ)
    assert (after.body["revision"], after.body["content"]["scheduled_for"]) == (1, None)


async def test_the_last_moment_of_the_range_is_kept_exactly(sqlite_api: ApiWorld) -> None:
    answer = await sqlite_api.call("POST", "/changes", REQ,
                                   body=change_body(scheduled_for="2999-12-31T23:59:59+00:00"))

    assert answer.status == 201, answer.body
    stored = await sqlite_api.call("GET", f"/changes/{answer.body['id']}", REQ)
    assert stored.body["content"]["scheduled_for"] == "2999-12-31T23:59:59+00:00"


@pytest.mark.parametrize("since", OUT_OF_RANGE)
async def test_an_audit_since_out_of_range_is_refused(sqlite_api: ApiWorld, since: str) -> None:
    await sqlite_api.call("POST", "/changes", REQ, body=change_body())

    answer = await sqlite_api.call("GET", f"/audit?since={quote(since)}", REQ)

    assert (answer.status, answer.reason, answer.body["field"]) == (400, "invalid_input", "since")
    assert answer.body["detail"] == f"since: {DETAIL}{since!r}"


async def test_an_audit_since_the_first_moment_lists_everything(sqlite_api: ApiWorld) -> None:
    await sqlite_api.call("POST", "/changes", REQ, body=change_body())

    answer = await sqlite_api.call("GET", f"/audit?since={quote('2000-01-01T00:00:00+00:00')}",
                                   REQ)

    assert answer.status == 200
    assert len(answer.body["events"]) == await sqlite_api.audit_count()
