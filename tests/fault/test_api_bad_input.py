"""Hostile traffic at the REST API of a live server: no token or a forged one, a token without
the scope, malformed and oversized bodies, replayed creates. None gets a 5xx, none changes
anything (a refusal may be audited, nothing more), and the server keeps answering."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fault.conftest import Live, settle
from tests.fault.strategies import JSON, TEXT
from tests.slack.harness import REQUESTER, SENIOR1

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]
VOLUME = settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])
ACTIONS = ("dry-run", "submit", "review", "comments", "withdraw", "apply", "result", "resolve")
CHANGE_IDS = st.sampled_from(["CHG-1", "CHG-999", "chg-1", "CHG-", "x", "CHG-1%00", "%2e%2e"])
WRITES = st.one_of(
    st.just(("POST", "/api/v1/changes")),
    CHANGE_IDS.map(lambda c: ("PATCH", f"/api/v1/changes/{c}")),
    st.tuples(CHANGE_IDS, st.sampled_from(ACTIONS)).map(
        lambda p: ("POST", f"/api/v1/changes/{p[0]}/{p[1]}")),
)
READS = st.one_of(
    st.just(("GET", "/api/v1/changes")), st.just(("GET", "/api/v1/audit")),
    st.just(("GET", "/api/v1/metrics")), st.just(("GET", "/api/v1/audit/verify")),
    CHANGE_IDS.map(lambda c: ("GET", f"/api/v1/changes/{c}")),
    CHANGE_IDS.map(lambda c: ("GET", f"/api/v1/changes/{c}/history")),
)
PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
FORGED = st.sampled_from(["", "Bearer", "Bearer ", "Bearer garbage", "Basic dXNlcjpwdw==",
                          "Bearer cg_000000000000_notasecret", "bearer cg_", "Bearer cg__"]) \
    | PRINTABLE.map(lambda t: f"Bearer {t}") | PRINTABLE
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8",
                                 "text/plain", "application/x-www-form-urlencoded", ""])


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Garbage, JSON that is not an object, or an object that cannot be valid: it claims an
    identity. Never a blank body or a bare object such as {}, which routes whose body is
    optional (withdraw, submit, apply) rightly accept."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(min_size=1, max_size=200).filter(_never_valid))
    value = draw(JSON) if kind == 1 else None
    if value is not None and not isinstance(value, dict):
        return json.dumps(value).encode()
    spoiled = draw(st.dictionaries(TEXT, JSON, max_size=4))
    spoiled["requester"] = draw(st.sampled_from([REQUESTER, SENIOR1, "U0NOBODY"]))
    return json.dumps(spoiled).encode()


def _never_valid(raw: bytes) -> bool:
    """Not blank and not a JSON object: a body no route may take."""
    try:
        return bool(raw.strip()) and not isinstance(json.loads(raw), dict)
    except ValueError:  # not UTF-8 or not JSON at all
        return True


def headers(authorization: str | None, content_type: str) -> dict[str, str]:
    found = {"Content-Type": content_type} if content_type else {}
    if authorization is not None:
        found["Authorization"] = authorization
    return found


@VOLUME
@given(route=WRITES | READS, authorization=st.none() | FORGED, body=bodies(),
       content_type=CONTENT_TYPES)
async def test_without_a_real_token_nothing_is_read_or_changed(
    live: Live, route: tuple[str, str], authorization: str | None, body: bytes,
    content_type: str
) -> None:
    method, path = route
    before = await live.snapshot()

    status, text = await live.request(method, path, data=body if method != "GET" else None,
                                      headers=headers(authorization, content_type))

    assert status in (401, 404), (status, text[:200])  # 404: a path no route has
    assert await live.snapshot() == before


@VOLUME
@given(route=WRITES, body=bodies(), content_type=CONTENT_TYPES)
async def test_a_read_token_cannot_write(live: Live, route: tuple[str, str], body: bytes,
                                         content_type: str) -> None:
    method, path = route
    before = await live.snapshot()

    status, _ = await live.request(method, path, data=body, headers=headers(
        f"Bearer {live.tokens['reader']}", content_type))

    assert status in (403, 404)
    assert await live.snapshot() == before


@VOLUME
@given(route=WRITES, body=bodies(), content_type=CONTENT_TYPES,
       user=st.sampled_from([REQUESTER, SENIOR1]))
async def test_malformed_bodies_are_answered_below_500_and_change_nothing(
    live: Live, route: tuple[str, str], body: bytes, content_type: str, user: str
) -> None:
    method, path = route
    before = await live.snapshot()

    status, text = await live.request(method, path, data=body, headers=headers(
        f"Bearer {live.tokens[user]}", content_type))

    assert 400 <= status < 500, (status, text[:300])
    assert await live.snapshot() == before


@VOLUME
@given(path=st.sampled_from(["/api/v1/changes", "/api/v1/audit"]),
       query=st.dictionaries(TEXT, TEXT, min_size=1, max_size=3))
async def test_listings_refuse_unknown_query_parameters(live: Live, path: str,
                                                        query: dict[str, str]) -> None:
    """A misspelt filter never lists everything."""
    params = urlencode({**query, "bogus": "1"})
    status, _ = await live.request("GET", f"{path}?{params}", headers=headers(
        f"Bearer {live.tokens[SENIOR1]}", ""))
    assert 400 <= status < 500


@pytest.mark.parametrize("megabytes", [3, 32])
async def test_oversized_bodies_are_refused_unread(live: Live, megabytes: int) -> None:
    before = await live.snapshot()
    raw = b'{"title": "' + b"x" * (megabytes * 1024 * 1024) + b'"}'

    status, _ = await live.request("POST", "/api/v1/changes", data=raw, headers=headers(
        f"Bearer {live.tokens[REQUESTER]}", "application/json"))

    assert status == 413
    assert await live.snapshot() == before


async def test_a_replayed_create_makes_one_change(live: Live) -> None:
    body = json.dumps({"title": "Replayed", "family": "bgp", "action": "add", "target": "e-9",
                       "risk": "high", "payload": "neighbor 192.0.2.9"}).encode()
    sent = headers(f"Bearer {live.tokens[REQUESTER]}", "application/json")
    sent["Idempotency-Key"] = "replayed-create-1"
    before = await live.snapshot()

    answers = await asyncio.gather(*(live.request("POST", "/api/v1/changes", data=body,
                                                  headers=sent) for _ in range(30)))

    assert {status for status, _ in answers} <= {200, 201}
    assert len({json.loads(text)["id"] for _, text in answers}) == 1
    await settle(live)
    assert len((await live.snapshot()).changes) == len(before.changes) + 1


async def test_the_api_still_answers_after_all_of_it(live: Live) -> None:
    assert await live.healthy()
    status, _ = await live.request("GET", "/api/v1/changes", headers=headers(
        f"Bearer {live.tokens[SENIOR1]}", ""))
    assert status == 200
