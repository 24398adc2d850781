"""Hostile traffic at POST /slack/events of a live server: unsigned, wrongly signed, stale,
tampered, replayed, malformed and oversized requests. None gets a 5xx, none changes anything
(a refusal may be audited, nothing more), and the server keeps answering."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.sandbox.fakeslack import payloads
from bot.slack.rendering import ids
from tests.fault.conftest import Live, Snapshot, settle
from tests.fault.strategies import FORM, SIGNING, slack_bodies
from tests.slack.harness import CHANNEL, SECRET, SENIOR1

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              # a failing example of kilobytes is still worth showing whole
              pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]
TEAM = "T0CHANGEGATE"
VOLUME = settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])


def signed(raw: bytes, *, secret: str = SECRET, age_s: int = 0,
           content_type: str = FORM) -> dict[str, str]:
    """Headers of a request signed as Slack signs, `age_s` seconds ago."""
    timestamp = str(int(time.time()) - age_s)
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw,
                      hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={digest}"}


def badly_signed(raw: bytes, content_type: str, how: str) -> dict[str, str]:
    if how == "none":
        return {"Content-Type": content_type}
    if how == "wrong secret":
        return signed(raw, secret="not-the-signing-secret", content_type=content_type)
    if how == "stale":
        return signed(raw, age_s=600, content_type=content_type)
    if how == "future":
        return signed(raw, age_s=-600, content_type=content_type)
    return signed(raw + b"&tampered=1", content_type=content_type)


async def post(live: Live, raw: bytes, headers: dict[str, str]) -> int:
    status, _ = await live.request("POST", "/slack/events", data=raw, headers=headers)
    return status


async def unchanged(live: Live, before: Snapshot) -> bool:
    """Nothing changed once the listeners acknowledged early have had their turn."""
    await settle(live)
    return await live.snapshot() == before


@VOLUME
@given(body=slack_bodies(TEAM), how=SIGNING)
async def test_requests_slack_did_not_sign_are_refused_before_anything(
    live: Live, body: tuple[bytes, str], how: str
) -> None:
    raw, content_type = body
    before = await live.snapshot()

    status = await post(live, raw, badly_signed(raw, content_type, how))

    assert status == 401
    assert await live.snapshot() == before


NULL_EVENT = (b'{"type": "url_verification", "team_id": "T0CHANGEGATE", "event": null, '
              b'"challenge": ""}', "application/json")  # Bolt read into the event: a 500
WRONG_ID = (b'{"type": "event_callback", "team_id": "T0CHANGEGATE", '
            b'"event": {"type": "app_home_opened", "user": 7}}', "application/json")


@VOLUME
@example(body=NULL_EVENT)
@example(body=WRONG_ID)
@given(body=slack_bodies(TEAM))
async def test_signed_garbage_is_answered_below_500_and_changes_nothing(
    live: Live, body: tuple[bytes, str]
) -> None:
    raw, content_type = body
    before = await live.snapshot()

    status = await post(live, raw, signed(raw, content_type=content_type))

    assert status < 500, raw[:200]
    assert await live.snapshot() == before


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(megabytes=st.integers(1, 8), sign=st.booleans())
async def test_oversized_bodies_are_refused_unread(live: Live, megabytes: int, sign: bool
                                                   ) -> None:
    raw = b"payload=" + b"x" * (megabytes * 1024 * 1024)
    before = await live.snapshot()

    status = await post(live, raw, signed(raw) if sign else {"Content-Type": FORM})

    assert status in (401, 413)
    assert await live.snapshot() == before


async def test_a_replayed_approval_counts_once_and_a_stale_replay_not_at_all(live: Live
                                                                             ) -> None:
    card = next(m for m in live.fake.messages(CHANNEL) if m.text.startswith(live.change_id))
    await live.driver.click(SENIOR1, card, ids.APPROVE)
    form = await live.fake.wait_for(lambda: next(
        (v for v in live.fake.open_views(SENIOR1)
         if v.view.get("callback_id") == ids.APPROVE_VIEW), None))
    submitted = payloads.view_submission(
        live.fake.workspace, user=SENIOR1, view=form, trigger_id=live.fake.issue_trigger(SENIOR1),
        values={ids.COMMENT_BLOCK: payloads.text_value("checked")})
    raw = ("payload=" + quote(json.dumps(submitted))).encode()
    headers = signed(raw)
    before = await live.snapshot()
    assert await post(live, raw, headers) == 200
    for _ in range(500):  # the form is acknowledged first, decided right after
        await settle(live)
        if (await live.snapshot()).changes != before.changes:
            break
    await settle(live)  # and its card and thread are brought up to date
    approved = await live.snapshot()
    assert approved.changes != before.changes  # the first click counted

    replays = await asyncio.gather(*(post(live, raw, headers) for _ in range(40)))

    assert set(replays) == {200}
    assert await unchanged(live, approved)
    assert await post(live, raw, signed(raw, age_s=360)) == 401
    assert await unchanged(live, approved)


async def test_after_all_of_it_the_server_still_answers(live: Live) -> None:
    assert await live.healthy()
    status, _ = await live.request("GET", "/api/v1/readyz")
    assert status == 200
