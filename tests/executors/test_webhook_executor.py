"""The webhook executor against a real local server that checks signatures and idempotency keys."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.executors import (
    DryRunFailed,
    ExecutorProtocolError,
    ExecutorTimeout,
    ExecutorTransportError,
    WebhookExecutor,
    signature,
    verify,
)
from tests.executors.receiver import SECRET, Receiver, serving
from tests.support.builders import pending
from workflow.executor_spec import WebhookSpec
from workflow.model import ApplyStatus, ChangeRequest

KEY = "CHG-1:1:abc"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest_asyncio.fixture
async def server(receiver: Receiver) -> AsyncIterator[TestServer]:
    async with serving(receiver) as running:
        yield running


def hook(server: TestServer, path: str = "/hook", secret: bytes = SECRET,
         timeout: timedelta = timedelta(seconds=10)) -> WebhookExecutor:
    spec = WebhookSpec("netops", str(server.make_url(path)), "NETOPS_SECRET", timeout)
    return WebhookExecutor(spec, secret)


@pytest.fixture
def change() -> ChangeRequest:
    return pending()


async def test_dry_run_posts_the_signed_change(
    server: TestServer, receiver: Receiver, change: ChangeRequest
) -> None:
    receiver.output = "+ neighbor 192.0.2.1"
    assert await hook(server).dry_run(change) == "+ neighbor 192.0.2.1"
    (request,) = receiver.requests
    assert change.dry_run is not None
    assert {k: request[k] for k in ("change", "revision", "digest", "mode")} == {
        "change": "CHG-1", "revision": 1, "digest": change.dry_run.digest, "mode": "dry_run"}
    assert request["content"]["target"] == "edge-1"
    assert "Idempotency-Key" not in receiver.headers[0]
    assert receiver.refused == 0


async def test_apply_carries_the_idempotency_key_and_a_repeat_applies_once(
    server: TestServer, receiver: Receiver, change: ChangeRequest
) -> None:
    executor = hook(server)
    first = await executor.apply(change, KEY)
    again = await executor.apply(change, KEY)
    assert first.status is ApplyStatus.APPLIED and first.output == f"applied 2 lines ({KEY})"
    assert again == first
    assert list(receiver.applied) == [KEY]
    assert [h["Idempotency-Key"] for h in receiver.headers] == [KEY, KEY]
    assert receiver.requests[0]["mode"] == "apply"


async def test_ok_false_is_a_clear_failure(
    server: TestServer, receiver: Receiver, change: ChangeRequest
) -> None:
    receiver.ok, receiver.output = False, "edge-1 refused the commit"
    result = await hook(server).apply(change, KEY)
    assert result.status is ApplyStatus.FAILED and result.output == "edge-1 refused the commit"
    with pytest.raises(DryRunFailed, match="refused the dry-run of CHG-1: edge-1 refused"):
        await hook(server).dry_run(change)


async def test_a_timeout_raises_so_the_outcome_is_unknown(
    server: TestServer, receiver: Receiver, change: ChangeRequest
) -> None:
    receiver.hang = True
    executor = hook(server, timeout=timedelta(milliseconds=300))
    with pytest.raises(ExecutorTimeout, match="did not answer within 1s: the outcome is unknown"):
        await executor.apply(change, KEY)


@pytest.mark.parametrize(
    ("status", "raw", "match"),
    [
        (500, b'{"ok": true}', "answered HTTP 500: the outcome is unknown"),
        (200, b"<html>proxy error</html>", 'did not reply with JSON {"ok": true|false'),
        (200, b'{"output": "no ok"}', 'did not reply with JSON {"ok": true|false'),
        (200, b'{"ok": "yes"}', 'did not reply with JSON {"ok": true|false'),
        (200, b'{"ok": true, "output": 5}', "replied with a non-text output"),
    ],
)
async def test_anything_but_a_clear_reply_is_unknown(
    server: TestServer, receiver: Receiver, change: ChangeRequest,
    status: int, raw: bytes, match: str,
) -> None:
    receiver.status, receiver.raw_reply = status, raw
    with pytest.raises(ExecutorProtocolError, match=match):
        await hook(server).apply(change, KEY)


async def test_redirects_are_not_followed(
    server: TestServer, receiver: Receiver, change: ChangeRequest
) -> None:
    with pytest.raises(ExecutorProtocolError, match="answered HTTP 307"):
        await hook(server, "/moved").apply(change, KEY)
    assert receiver.requests == []


async def test_a_wrong_secret_is_refused_by_the_receiver(
    server: TestServer, receiver: Receiver, change: ChangeRequest
) -> None:
    with pytest.raises(ExecutorProtocolError, match="answered HTTP 401"):
        await hook(server, secret=b"not the secret").apply(change, KEY)
    assert receiver.refused == 1 and receiver.applied == {}


async def test_a_refused_connection_is_a_transport_error(change: ChangeRequest) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = WebhookSpec("netops", f"http://127.0.0.1:{port}/hook", "S", timedelta(seconds=5))
    with pytest.raises(ExecutorTransportError, match="the outcome is unknown"):
        await WebhookExecutor(spec, SECRET).apply(change, KEY)


def test_signature_verification_rejects_tampering_and_replays() -> None:
    body = json.dumps({"change": "CHG-1"}).encode()
    now = time.time()
    stamp = str(int(now))
    signed = signature(SECRET, stamp, body)
    assert verify(SECRET, stamp, body, signed, now)
    assert not verify(SECRET, stamp, body + b" ", signed, now)
    assert not verify(b"other", stamp, body, signed, now)
    assert not verify(SECRET, stamp, body, signed, now + 301)
    assert not verify(SECRET, "soon", body, signed, now)
    assert signed.startswith("v1=") and len(signed) == 3 + 64
