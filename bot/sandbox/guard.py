"""Only the sandbox's own page acts in it: a page of another site, or a DNS name rebound to this
machine, is refused before anything is done, since the page has no login."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

TOKEN_HEADER = "X-Sandbox-Token"
TOKEN_PLACEHOLDER = "__SANDBOX_TOKEN__"  # in index.html, where the page finds its token
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OWN_FETCHES = frozenset({"same-origin", "none"})  # Sec-Fetch-Site of the page's own requests


class SiteGuard:
    """Checks the Host of every sandbox request, and the Origin (and Sec-Fetch-Site) of every
    one that changes something; the page's actions also carry a token issued in the page."""

    def __init__(self, prefix: str, host: str) -> None:
        self.prefix = prefix
        self.token = secrets.token_urlsafe(32)
        self._names = {"localhost", host.strip("[]").lower()}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse with 403 what is not the page's own; everything else passes untouched."""
        if request.path == self.prefix or request.path.startswith(self.prefix + "/"):
            problem = self.refusal(request)
            if problem is not None:
                return web.json_response({"ok": False, "error": problem}, status=403)
        return await handler(request)

    def refusal(self, request: web.Request) -> str | None:
        """Why the request is not the sandbox page's own; None when it is."""
        host = _hostname(request.host)
        if not self._known(host):
            return (f"the sandbox answers at an IP address or localhost, not at {host!r} (a "
                    "name another site could point here): open it at its printed address")
        if not self._changes_state(request):
            return None
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return f"requests from {origin} cannot act in the sandbox: use its own page"
        if request.headers.get("Sec-Fetch-Site", "none") not in OWN_FETCHES:
            return "requests from another site cannot act in the sandbox: use its own page"
        if request.path == f"{self.prefix}/act" and not hmac.compare_digest(
                request.headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            return "this page is not the sandbox's current one: reload it"
        return None

    def _known(self, host: str) -> bool:
        """An IP address cannot be rebound; of names, only localhost and the configured one."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return host in self._names
        return True

    def _changes_state(self, request: web.Request) -> bool:
        """Anything but a read, and every call of the Web API and response URLs (a GET of the
        Web API posts messages too)."""
        return request.method not in SAFE_METHODS or request.path.startswith(
            (f"{self.prefix}/api/", f"{self.prefix}/response/"))


def _hostname(host: str) -> str:
    """The name or address of a Host header, without port or brackets, lower case."""
    return (urlsplit(f"//{host}").hostname or "").lower()
