"""The served OpenAPI document is valid, lists exactly the routes served, and real answers fit."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from openapi_spec_validator import validate

from bot.api import ApiDependencies, create_api, mount_api
from bot.api.openapi import PREFIX, document
from tests.api.harness import N1, N2, N3, OUTPUT, REQ, ApiWorld, X, change_body, running_api
from tests.support.executor import ScriptedExecutor


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document()

    validate(doc)
    assert doc["openapi"].startswith("3.1")


def served_operations(app: web.Application) -> set[tuple[str, str]]:
    """(method, path template) of every route of the application, sub-applications included;
    HEAD, which every GET route answers too, is left undocumented."""
    found: set[tuple[str, str]] = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        if path is not None and path.startswith(PREFIX):
            found.add((route.method, path[len(PREFIX):]))
    return found


def test_every_served_route_is_documented_and_every_documented_one_served() -> None:
    app = web.Application()
    mount_api(app, create_api(ApiDependencies(
        engine=None, reads=None, tokens=None, directory=None, clock=None)))  # type: ignore[arg-type]
    app.freeze()

    documented = {(method.upper(), path) for path, item in document()["paths"].items()
                  for method in item}

    assert served_operations(app) == documented


async def test_every_operation_answers_as_documented(tmp_path: Path) -> None:
    """One walk through every operation; the harness checks each answer against the document."""
    async with running_api("sqlite", tmp_path, executor=ScriptedExecutor(OUTPUT)) as api:
        await walk_every_operation(api)
        documented = {(op.method, op.template) for op in api.conformance.operations}
        answered = {(method, template) for method, template, _ in api.conformance.checked}
        assert answered == documented
        statuses = {status for *_, status in api.conformance.checked}
        assert {200, 201, 400, 401, 403, 404, 409} <= statuses


async def walk_every_operation(api: ApiWorld) -> None:
    draft = await api.call("POST", "/changes", REQ, body=change_body(),
                           headers={"Idempotency-Key": "walk-1"})
    cid = draft.body["id"]
    await api.call("POST", "/changes", REQ, body=change_body(), headers={"Idempotency-Key":
                                                                          "walk-1"})
    await api.call("PATCH", f"/changes/{cid}", REQ, body={"description": "why"})
    await api.call("POST", f"/changes/{cid}/dry-run", REQ)
    await api.call("POST", f"/changes/{cid}/dry-run", REQ, body={"output": OUTPUT})
    await api.call("POST", f"/changes/{cid}/submit", REQ)
    await api.call("POST", f"/changes/{cid}/comments", X, body={"text": "hm"})
    await api.call("POST", f"/changes/{cid}/review", N1,
                   body=await api.bound(cid, {"approved": True}))
    await api.call("POST", f"/changes/{cid}/withdraw", N1)
    for person in (N1, N2):
        await api.call("POST", f"/changes/{cid}/review", person,
                       body=await api.bound(cid, {"approved": True}))
    await api.call("POST", "/reviews", N3,
                   body={"reviews": [await api.bound(cid, {"id": cid, "approved": True})]})
    await api.call("GET", f"/changes/{cid}/wait?timeout=0", REQ)
    applied = await api.call("POST", f"/changes/{cid}/apply", REQ)
    assert applied.body["state"] == "applied"
    await api.call("POST", f"/changes/{cid}/result", REQ, body={"status": "applied"})
    await api.call("POST", f"/changes/{cid}/abort", REQ, body={"reason": "stop"})
    await api.call("POST", f"/changes/{cid}/post-review", REQ,
                   body={"outcome": "successful", "note": "no alarms", "links": []})
    await api.call("POST", f"/changes/{cid}/resolve", REQ,
                   body={"status": "applied", "note": "seen it"})
    await api.call("POST", f"/changes/{cid}/copy", REQ)  # applied: refused
    withdrawn = await api.call("POST", "/changes", REQ, body=change_body())
    await api.call("POST", f"/changes/{withdrawn.body['id']}/withdraw", REQ)
    await api.call("POST", f"/changes/{withdrawn.body['id']}/copy", N1)
    for path in (f"/changes/{cid}", f"/changes/{cid}/history", "/changes?mine=true",
                 "/audit", "/audit/verify", "/metrics", "/readyz", "/openapi.json"):
        await api.call("GET", path, REQ)
    await api.call("POST", "/admin/reload-policy", token=await api.token(X, ("admin",), "x-admin"))
    await api.call("GET", "/changes")
    await api.call("GET", "/changes", token=await api.token(X, ("apply",)))
    await api.call("GET", "/changes/CHG-999", REQ)
    await api.call("POST", "/changes", REQ, body={"title": 1})
