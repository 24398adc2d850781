"""HEAD against every GET route: the same status and content type as GET, and no body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web


def get_templates(app: web.Application) -> list[str]:
    """The path template of every GET route of `app`, sub-applications included."""
    templates: set[str] = set()
    for route in app.router.routes():
        if route.method == "GET" and route.resource is not None:
            info = route.resource.get_info()
            templates.add(info.get("formatter") or info["path"])
    return sorted(templates)


async def head_like_get(client: Any, url: str, headers: Mapping[str, str] | None = None) -> int:
    """Ask `url` with GET, then HEAD, through a session or test client; GET's status."""
    async with client.get(url, headers=headers, allow_redirects=False) as got:
        await got.read()
        status, media = got.status, got.headers.get("Content-Type")
    async with client.head(url, headers=headers, allow_redirects=False) as head:
        body = await head.read()
        assert (head.status, head.headers.get("Content-Type"), body) == (status, media, b""), url
    return status
