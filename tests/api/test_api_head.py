"""Every GET route of the API answers HEAD like GET, without the body."""

from __future__ import annotations

from tests.api.harness import REQ, ApiWorld, change_body
from tests.support.head_checks import get_templates, head_like_get

QUERY = {"/api/v1/changes/{id}/wait": "?timeout=0"}  # a long poll: answer at once


async def test_every_get_route_answers_head(sqlite_api: ApiWorld) -> None:
    created = await sqlite_api.call("POST", "/changes", REQ, body=change_body())
    bearer = {"Authorization": f"Bearer {sqlite_api.tokens[REQ]}"}
    templates = get_templates(sqlite_api.client.app)
    assert "/api/v1/changes/{id}/history" in templates and "/api/v1/openapi.json" in templates

    for template in templates:
        url = template.replace("{id}", created.body["id"]) + QUERY.get(template, "")
        assert await head_like_get(sqlite_api.client, url, bearer) == 200, url
        anonymous = await head_like_get(sqlite_api.client, url)
        assert anonymous == (200 if template.endswith(("/readyz", "/openapi.json")) else 401)
