"""The health endpoint answers with the policy version, through aiohttp's in-process test server."""

from __future__ import annotations

from aiohttp import test_utils

from bot.server import create_app


async def test_healthz_reports_ok_and_the_policy_version() -> None:
    server = test_utils.TestServer(create_app("ab" * 32))
    async with test_utils.TestClient(server) as client:
        response = await client.get("/healthz")

        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == {"status": "ok", "policy_version": "ab" * 32}


async def test_unknown_path_is_not_found() -> None:
    async with test_utils.TestClient(test_utils.TestServer(create_app("v1"))) as client:
        response = await client.get("/nope")

        assert response.status == 404


async def test_the_root_names_the_health_api_and_docs_endpoints() -> None:
    async with test_utils.TestClient(test_utils.TestServer(create_app("v1"))) as client:
        response = await client.get("/")
        page = await response.text()

    assert (response.status, response.content_type) == (200, "text/html")
    for path in ("/healthz", "/api/v1/readyz", "/api/v1/openapi.json"):
        assert f'href="{path}"' in page
