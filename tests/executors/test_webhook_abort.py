"""Aborting a webhook's apply: a signed POST to the policy's `abort` URL, whose receiver stops
the apply and answers it as failed; without an `abort` URL the abort is refused, naming why."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.executors.programs import policy_with
from tests.executors.receiver import SECRET, signature_ok
from tests.executors.test_engine_executors import approved, with_registry
from tests.support.world import World
from workflow.errors import AbortNotPossible
from workflow.model import State
from workflow.policy import PolicyError, parse_policy

TIMEOUT_S = 30.0


class StoppableReceiver:
    """Applies run until an abort for their key arrives; every abort request is kept."""

    def __init__(self) -> None:
        self.aborts: list[dict[str, Any]] = []
        self.stopped: dict[str, asyncio.Event] = {}
        self.running = asyncio.Event()

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        assert signature_ok(SECRET, request.headers, body, time.time())
        payload = json.loads(body)
        if payload["mode"] == "dry_run":
            return web.json_response({"ok": True, "output": "+ neighbor 192.0.2.1"})
        key = request.headers["Idempotency-Key"]
        self.running.set()
        await self.stopped.setdefault(key, asyncio.Event()).wait()
        return web.json_response({"ok": False, "output": "stopped half way, rolled back"})

    async def abort(self, request: web.Request) -> web.Response:
        body = await request.read()
        assert signature_ok(SECRET, request.headers, body, time.time())
        self.aborts.append({**json.loads(body), "key": request.headers["Idempotency-Key"]})
        self.stopped.setdefault(request.headers["Idempotency-Key"], asyncio.Event()).set()
        return web.json_response({"ok": True, "output": "stopping"})


@asynccontextmanager
async def receiving(receiver: StoppableReceiver) -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    app.router.add_post("/abort", receiver.abort)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


def webhook_policy(server: TestServer, *, abort: bool) -> str:
    spec = {"kind": "webhook", "url": str(server.make_url("/hook")),
            "secret_env": "NETOPS_SECRET", "timeout": "1m"}
    if abort:
        spec["abort"] = str(server.make_url("/abort"))
    return policy_with({"netops": spec}, {"default": {"executor": "netops"}})


async def test_an_abort_is_posted_to_the_abort_url_and_the_apply_ends_failed_aborted() -> None:
    receiver = StoppableReceiver()
    async with receiving(receiver) as server:
        world = World(policy_text=webhook_policy(server, abort=True))
        engine = with_registry(world, {"NETOPS_SECRET": SECRET.decode()})
        cr = await approved(world, engine)
        running = asyncio.create_task(engine.apply(cr.id, "req"))
        await asyncio.wait_for(receiver.running.wait(), TIMEOUT_S)

        await engine.abort(cr.id, "n2", "the peer is flapping")
        done = await asyncio.wait_for(running, TIMEOUT_S)

    assert [(a["mode"], a["key"]) for a in receiver.aborts] == [("abort", cr.apply_key())]
    assert done.state is State.FAILED
    assert done.apply is not None and done.apply.aborted
    assert done.apply.output == "stopped half way, rolled back"


async def test_a_webhook_without_an_abort_url_refuses_the_abort_naming_the_key() -> None:
    receiver = StoppableReceiver()
    async with receiving(receiver) as server:
        world = World(policy_text=webhook_policy(server, abort=False))
        engine = with_registry(world, {"NETOPS_SECRET": SECRET.decode()})
        cr = await approved(world, engine)
        running = asyncio.create_task(engine.apply(cr.id, "req"))
        await asyncio.wait_for(receiver.running.wait(), TIMEOUT_S)

        with pytest.raises(AbortNotPossible, match=r"executors\.netops\.abort"):
            await engine.abort(cr.id, "req", "stop")

        assert (await world.get(cr.id)).state is State.EXECUTING
        receiver.stopped[cr.apply_key()].set()
        done = await asyncio.wait_for(running, TIMEOUT_S)
    assert done.state is State.FAILED and done.apply is not None and not done.apply.aborted
    assert receiver.aborts == []


def test_an_abort_url_is_checked_like_the_url() -> None:
    text = policy_with({"netops": {"kind": "webhook", "url": "https://netops.example/cg",
                                   "secret_env": "NETOPS_SECRET",
                                   "abort": "http://netops.example/stop"}},
                       {"default": {"executor": "netops"}})
    with pytest.raises(PolicyError) as refused:
        parse_policy(text, "p.yaml")
    assert any("executors.netops.abort" in e and "plain HTTP" in e
               for e in refused.value.errors), refused.value.errors
