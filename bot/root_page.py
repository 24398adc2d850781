"""`GET /`: a short page naming the endpoints, so an address opened in a browser says where to
go instead of answering 404. The sandbox mounts its own `/` (a redirect to its page) first."""

from __future__ import annotations

from aiohttp import web

ROOT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ChangeGate</title></head>
<body>
<h1>ChangeGate</h1>
<p>A Slack bot that holds changes until the right people have approved them.
This address serves:</p>
<ul>
<li><a href="/healthz"><code>/healthz</code></a>: health (liveness, and the policy version)</li>
<li><a href="/api/v1/readyz"><code>/api/v1/readyz</code></a>: readiness (database reachable)</li>
<li><code>/api/v1/…</code>: the REST API, with a bearer token
(<code>changegate token create</code>)</li>
<li><a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a>: the API's documentation,
as OpenAPI</li>
<li><code>/slack/events</code>: Slack's requests, when Slack is configured</li>
</ul>
</body></html>
"""


async def root_page(request: web.Request) -> web.Response:
    """The page above."""
    return web.Response(text=ROOT_PAGE, content_type="text/html")


def add_root_page(app: web.Application) -> None:
    """Serve the page at `/` unless something (the sandbox) already answers there."""
    if not any(resource.canonical == "/" for resource in app.router.resources()):
        app.router.add_get("/", root_page)
