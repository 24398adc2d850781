"""Operators' endpoints: audit export and verify, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.api import params
from bot.api.context import deps
from bot.api.problems import ApiProblem
from bot.api.represent import audit_json
from storage.migrate import head_revision
from storage.tokens import ApiToken

log = logging.getLogger(__name__)
AUDIT_PARAMS = ("since", "change", "cursor", "limit")
AUDIT_MAX = 1000
READY_TIMEOUT_S = 5.0
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


async def audit(request: web.Request, token: ApiToken) -> web.Response:
    """GET /audit: events oldest first, as `changegate audit export` writes them, paged."""
    d = deps(request)
    params.known_only(request, AUDIT_PARAMS)
    since = params.time(request, "since")
    change = params.single(request, "change")
    after = params.cursor(request) or 0
    limit = params.whole(request, "limit", 500, 1, AUDIT_MAX)
    rows = await d.reads.audit(since=since, change_id=change, after=after, limit=limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    return web.json_response({
        "events": [audit_json(r) for r in page],
        "next_cursor": str(page[-1].seq) if more else None,
    })


async def audit_verify(request: web.Request, token: ApiToken) -> web.Response:
    """GET /audit/verify: walk the whole chain; `ok` false names the first bad row."""
    d = deps(request)
    params.known_only(request, ())
    result = await d.reads.verify()
    head = await d.reads.head() if result.ok else None
    return web.json_response({
        "ok": result.ok, "rows": result.rows, "bad_seq": result.bad_seq,
        "problem": result.problem or None, "head": head.hash if head else None,
    })


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: the database answers and its schema is the one this code expects; also
    the policy version this replica runs."""
    d = deps(request)
    expected = head_revision()
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            revision = await d.reads.schema_revision()
    except Exception as exc:  # any failure to reach the database means not ready
        log.warning("readiness check failed: %s", exc)  # the driver's text, for operators only
        raise ApiProblem(503, "not_ready", "database unavailable: the reason is in the log",
                         headers={"Retry-After": "5"}) from None
    if revision != expected:
        raise ApiProblem(503, "not_ready",
                         f"the database is at migration {revision or 'none'}, this ChangeGate "
                         f"needs {expected}: run `changegate db upgrade`",
                         headers={"Retry-After": "5"})
    holder = d.policy
    return web.json_response({"status": "ready", "schema": revision,
                              "policy_version": holder.version if holder else None})


async def metrics(request: web.Request, token: ApiToken) -> web.Response:
    """GET /metrics: Prometheus text."""
    d = deps(request)
    params.known_only(request, ())
    await d.metrics.catch_up(d.reads)
    states = await d.reads.count_by_state()
    backlog = await d.reads.backlog()
    version = d.policy.version if d.policy else None
    text = d.metrics.render(states, backlog, d.clock.now(), version)
    response = web.Response(text=text)
    response.headers["Content-Type"] = PROMETHEUS_TEXT
    return response
