"""A webhook receiver as a pipeline team would write one: verify, then apply each key only once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

SECRET = b"s3cret-for-tests"


def signature_ok(secret: bytes, request_headers: Any, body: bytes, now: float) -> bool:
    """The check the docs ask every receiver to make, written without ChangeGate's code."""
    timestamp = request_headers.get("X-ChangeGate-Timestamp", "")
    given = request_headers.get("X-ChangeGate-Signature", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > 300:
        return False
    expected = "v1=" + hmac.new(secret, b"v1:" + timestamp.encode() + b":" + body,
                                hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


@dataclass
class Receiver:
    """Answers as told; records requests; applies each idempotency key at most once."""

    secret: bytes = SECRET
    ok: bool = True
    output: str = "applied 2 lines"
    status: int = 200
    raw_reply: bytes | None = None
    hang: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if not signature_ok(self.secret, request.headers, body, time.time()):
            self.refused += 1
            return web.json_response({"ok": False, "output": "bad signature"}, status=401)
        payload = json.loads(body)
        self.requests.append(payload)
        self.headers.append(dict(request.headers))
        if self.hang:
            await asyncio.Event().wait()
        if self.raw_reply is not None:
            return web.Response(body=self.raw_reply, status=self.status)
        reply = {"ok": self.ok, "output": self.output}
        if payload["mode"] == "apply" and self.ok:
            key = request.headers["Idempotency-Key"]
            reply = self.applied.setdefault(key, {**reply, "output": f"{self.output} ({key})"})
        return web.json_response(reply, status=self.status)

    async def redirect(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect("/hook")


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[TestServer]:
    """The receiver on a real local port (POST /hook, /moved redirects)."""
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    app.router.add_post("/moved", receiver.redirect)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()
