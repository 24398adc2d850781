"""Requests aiohttp refuses before any handler runs are answered as problem details, on a real
server spoken to over a raw socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.server import create_app, runner_for
from tests.support.raw_http import send

BIG = "a" * 10_240  # over aiohttp's 8190-byte limit for the request line and for each header


@asynccontextmanager
async def serving() -> AsyncIterator[int]:
    """The bot's application (no runtime) behind the bot's runner, on a free port."""
    runner = runner_for(create_app("v1"))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("request_bytes", [
    f"GET /api/v1/changes?q={BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    f"GET /api/v1/changes HTTP/1.1\r\nHost: x\r\nX-Big: {BIG}\r\n\r\n".encode(),
    f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-{BIG}: 1\r\n\r\n".encode(),
], ids=["url", "header-value", "header-name"])
async def test_an_oversized_url_or_header_is_a_problem(request_bytes: bytes,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    async with serving() as port:
        answer = await send(port, request_bytes)

    problem = answer.problem()
    assert answer.status == 400
    assert problem == {"type": "urn:changegate:problem:line_too_long", "title": "Bad Request",
                       "status": 400, "reason": "line_too_long",
                       "detail": "the URL or a header is longer than 8190 bytes: shorten it"}
    logged = [(r.levelname, r.exc_info) for r in caplog.records if r.name.startswith("bot.")]
    assert logged == [("WARNING", None)]  # one line, no traceback


async def test_bytes_that_are_not_http_are_a_problem() -> None:
    async with serving() as port:
        answer = await send(port, b"HELO there\r\n\r\n")

    assert answer.status == 400
    assert answer.problem()["reason"] == "bad_request"
    assert b"HELO" not in answer.body  # nothing of the request is echoed


async def test_an_ordinary_request_is_untouched() -> None:
    async with serving() as port:
        answer = await send(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert answer.status == 200
    assert json.loads(answer.body) == {"status": "ok", "policy_version": "v1"}
