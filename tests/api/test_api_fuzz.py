"""Whatever a client sends, the API answers below 500 and never leaves a half-written change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.api.harness import REQ, ApiWorld, change_body

AWKWARD_TEXT = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff x", "é" * 3, "😀", "low", "high", "critical",
    "2026-12-01T22:00:00", "2026-12-01T22:00:00Z", "2026-12-01", "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00", "CHG-1", "x" * 600, "\n\t", "'; DROP TABLE change_requests; --",
])
TEXT = st.text(max_size=40) | AWKWARD_TEXT
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)
WORDS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(str.strip)
WHEN = st.datetimes(datetime(2001, 1, 1), datetime(2998, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC).isoformat())
VALID: dict[str, st.SearchStrategy[Any]] = {
    "title": WORDS, "description": st.text(max_size=30), "ticket": st.text(max_size=10),
    "labels": st.lists(WORDS, max_size=3), "family": st.sampled_from(["bgp", "dns.zone"]),
    "action": WORDS, "target": WORDS, "risk": st.sampled_from(["low", "medium", "high"]),
    "payload": WORDS, "rollback_plan": st.text(max_size=30), "scheduled_for": st.none() | WHEN,
}
CREATE_ONLY: dict[str, st.SearchStrategy[Any]] = {
    "dry_run": st.fixed_dictionaries({"output": st.text(max_size=30)}), "submit": st.booleans(),
}


@st.composite
def near_valid(draw: st.DrawFn, create: bool) -> dict[str, Any]:
    """A valid body (all fields to create, some to edit) with a few members spoiled."""
    fields = {**VALID, **CREATE_ONLY} if create else VALID
    names = list(fields) if create else draw(st.lists(st.sampled_from(list(VALID)), min_size=1,
                                                      max_size=4, unique=True))
    body: dict[str, Any] = {name: draw(fields[name]) for name in names}
    for name in draw(st.lists(st.sampled_from(list(fields)), max_size=3)):
        action = draw(st.sampled_from(["drop", "replace", "text"]))
        if action == "drop":
            body.pop(name, None)
        else:
            body[name] = draw(JSON if action == "replace" else TEXT)
    if draw(st.integers(0, 4)) == 0:
        body.update(draw(st.dictionaries(TEXT, JSON, max_size=2)))
    return body


@st.composite
def requests(draw: st.DrawFn, create: bool = True) -> tuple[bytes, dict[str, str]]:
    """Raw bytes and headers of a request."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        raw = draw(st.binary(max_size=64))
    else:
        body = draw(near_valid(create)) if choice < 8 else draw(JSON)
        raw = json.dumps(body).encode()  # lone surrogates travel as \ud800 escapes
    headers = {"Content-Type": draw(st.sampled_from([
        *["application/json"] * 6, "application/json; charset=utf-8",
        "application/merge-patch+json", "text/plain", "application/x-www-form-urlencoded"]))}
    key = draw(st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                                   max_size=210) | st.sampled_from(["k-1", "k-2"]))
    if key is not None:
        headers["Idempotency-Key"] = key
    return raw, headers


FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


async def new_audit_kinds(api: ApiWorld, before: int) -> set[str]:
    rows = await api.deps.reads.audit(after=before, limit=None)
    return {str(r.record["kind"]) for r in rows}


@FUZZ
@given(request=requests())
async def test_random_creates_never_fail_the_server_or_write_half(
    api: ApiWorld, request: tuple[bytes, dict[str, str]]
) -> None:
    raw, headers = request
    changes, audit = await api.change_count(), await api.audit_count()

    answer = await api.call("POST", "/changes", REQ, raw=raw, headers=headers)

    event(f"create {answer.status} {answer.reason}")
    assert answer.status < 500, answer.body
    created = answer.status == 201
    assert await api.change_count() == changes + (1 if created else 0)
    if created:
        api.conformance.request_schema("POST", "/changes").validate(json.loads(raw))
        stored = await api.call("GET", f"/changes/{answer.body['id']}", REQ)
        assert stored.body == answer.body
        assert "proposed" in await new_audit_kinds(api, audit)
    elif answer.status != 200:
        assert await new_audit_kinds(api, audit) <= {"refused"}


@FUZZ
@given(request=requests(create=False))
async def test_random_edits_change_all_or_nothing(
    api: ApiWorld, request: tuple[bytes, dict[str, str]]
) -> None:
    raw, headers = request
    headers.pop("Idempotency-Key", None)
    found = await api.call("GET", "/changes?mine=true&limit=1", REQ)
    if found.body["changes"]:
        cid = found.body["changes"][0]["id"]
    else:
        cid = (await api.call("POST", "/changes", REQ, body=change_body())).body["id"]
    before = (await api.call("GET", f"/changes/{cid}", REQ)).body
    audit = await api.audit_count()

    answer = await api.call("PATCH", f"/changes/{cid}", REQ, raw=raw, headers=headers)

    event(f"edit {answer.status} {answer.reason}")
    assert answer.status < 500, answer.body
    after = (await api.call("GET", f"/changes/{cid}", REQ)).body
    if answer.status == 200:
        assert after == answer.body
        api.conformance.request_schema("PATCH", "/changes/{id}").validate(json.loads(raw))
    else:
        assert after == before
        assert await new_audit_kinds(api, audit) <= {"refused"}
