"""Every GET route of the served application (health, API, the sandbox's page) answers HEAD like
GET, without the body."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.server import create_app
from tests.sandbox.support import serve_sandbox
from tests.support.head_checks import get_templates, head_like_get

EXAMPLE = {"{id}": "CHG-1", "{name}": "sandbox.js"}
QUERY = {"/api/v1/changes/{id}/wait": "?timeout=0", "/sandbox/state": "?after=-1"}


async def test_every_get_route_of_the_server_answers_head(tmp_path: Path) -> None:
    async with serve_sandbox(tmp_path) as sandbox, aiohttp.ClientSession() as session:
        templates = get_templates(create_app("v1", sandbox.runtime))
        assert {"/healthz", "/sandbox", "/sandbox/state", "/api/v1/readyz"} <= set(templates)

        statuses = {}
        for template in templates:
            path = template
            for name, value in EXAMPLE.items():
                path = path.replace(name, value)
            statuses[template] = await head_like_get(
                session, sandbox.url + path + QUERY.get(template, ""))

    assert {statuses[t] for t in ("/healthz", "/sandbox", "/sandbox/state",
                                  "/sandbox/static/{name}", "/api/v1/readyz")} == {200}
    assert statuses["/sandbox/"] == statuses["/"] == 302
    assert statuses["/api/v1/changes"] == 401
