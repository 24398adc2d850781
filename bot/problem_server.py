"""The bot's HTTP server answers even the requests aiohttp refuses before any handler runs (a URL or
header over the parser's limit, bytes that are not HTTP) as problem details, like every other
error of the API, instead of aiohttp's plain text.

aiohttp has no public hook for this (aio-libs/aiohttp#3287): its connection handler's
`handle_error` writes that answer, so the runner makes connections of a subclass.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler

from bot.api.problems import ApiProblem

log = logging.getLogger(__name__)
GATEWAY_TIMEOUT = 504  # what aiohttp answers when a handler raises TimeoutError


def unreadable(status: int, exc: BaseException | None) -> ApiProblem:
    """What to tell the client about a request no handler saw, without echoing its bytes."""
    if status == GATEWAY_TIMEOUT:
        return ApiProblem(status, "timeout", "the request took too long: try again")
    if status >= 500:
        return ApiProblem(status, "internal_error", "an unexpected error; it has been logged")
    if isinstance(exc, LineTooLong):
        return ApiProblem(status, "line_too_long",
                          f"the URL or a header is longer than {exc.args[1]} bytes: shorten it")
    return ApiProblem(status, "bad_request", "the request is not valid HTTP/1.1")


class ProblemRequestHandler(RequestHandler):
    """One connection; its errors leave as application/problem+json, and a client's mistake is
    logged as one line, not a traceback."""

    def handle_error(self, request: web.BaseRequest, status: int = 500,
                     exc: BaseException | None = None, message: str | None = None
                     ) -> web.StreamResponse:
        problem = unreadable(status, exc)
        if status >= 500:
            super().handle_error(request, status, exc, message)  # logs, refuses a started answer
        else:  # a request that could not be parsed: nothing was answered yet
            log.warning("refused a request from %s: %s", request.remote, problem.detail)
        response = problem.response(None)
        response.force_close()
        return response


class ProblemServer(web.Server):
    """aiohttp's low-level server, making connections that answer errors as problem details."""

    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ProblemRunner(web.AppRunner):
    """An AppRunner whose server is a ProblemServer."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = ProblemServer  # same state, only the connections it makes differ
        return server
