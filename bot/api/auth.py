"""Bearer tokens: the token's Slack user is the actor; each route names the scopes it accepts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from bot.api.context import deps
from bot.api.problems import ApiProblem
from storage.tokens import ApiToken

Handler = Callable[[web.Request, ApiToken], Awaitable[web.StreamResponse]]
WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REALM = 'Bearer realm="changegate"'
HOW = "send Authorization: Bearer <token>; an operator creates one with `changegate token create`"


async def caller(request: web.Request) -> ApiToken:
    """The live token of the request, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiProblem(401, "unauthenticated", f"authentication required: {HOW}",
                         headers={"WWW-Authenticate": REALM})
    token = await deps(request).tokens.authenticate(value.strip())
    if token is None:
        raise ApiProblem(401, "invalid_token", "the token is unknown, malformed or revoked",
                         headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    return token


def guarded(scopes: Sequence[str], handler: Handler) -> WebHandler:
    """Authenticate, require one of `scopes` (admin holds all), then run the handler."""

    async def run(request: web.Request) -> web.StreamResponse:
        token = await caller(request)
        if not any(token.allows(scope) for scope in scopes):
            wanted = " or ".join(scopes)
            raise ApiProblem(
                403, "insufficient_scope",
                f"token {token.name!r} lacks the {wanted} scope this needs "
                f"(it has {', '.join(sorted(token.scopes))})",
                headers={"WWW-Authenticate":
                         f'{REALM}, error="insufficient_scope", scope="{" ".join(scopes)}"'},
            )
        return await handler(request, token)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run
