"""The REST API as an aiohttp sub-application, mounted under /api/v1 of the bot's server."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.api.context import DEPENDENCIES, ApiDependencies
from bot.api.openapi import PREFIX, document
from bot.api.problems import ApiProblem, from_http, refusal
from bot.api.represent import TICKET_URL
from bot.api.routes import ROUTES, WebHandler
from storage.errors import StorageError
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)
PROBES = ("readyz",)  # the operations a relay process serves


@web.middleware
async def problems(request: web.Request, handler: WebHandler) -> web.StreamResponse:
    """Every error leaves as problem details and is counted; nothing a client sends is a 500."""
    try:
        return await handler(request)
    except ApiProblem as exc:
        problem = exc
    except WorkflowError as exc:
        problem = refusal(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        problem = from_http(exc, request.path)
    except StorageError:
        log.exception("database error on %s %s", request.method, request.path)
        problem = ApiProblem(503, "database_unavailable",
                             "the database did not answer as expected: try again shortly",
                             headers={"Retry-After": "5"})
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        problem = ApiProblem(500, "internal_error", "an unexpected error; it has been logged")
    request.config_dict[DEPENDENCIES].metrics.count_problem(problem.status, problem.reason)
    return problem.response(request.rel_url.raw_path)


@web.middleware
async def ticket_links(request: web.Request, handler: WebHandler) -> web.StreamResponse:
    """Every change the answer shows links its ticket under the policy's template in force."""
    token = TICKET_URL.set(request.config_dict[DEPENDENCIES].ticket_url())
    try:
        return await handler(request)
    finally:
        TICKET_URL.reset(token)


async def openapi_json(request: web.Request) -> web.Response:
    """GET /openapi.json: the document describing this API."""
    return web.json_response(document())


def create_api(dependencies: ApiDependencies) -> web.Application:
    """The API application; mount it with `mount_api`."""
    api = web.Application(middlewares=[problems, ticket_links])
    api[DEPENDENCIES] = dependencies
    for route in ROUTES:
        if route.method == "GET":  # add_get answers HEAD too, with the same status, no body
            api.router.add_get(route.path, route.web_handler(), name=route.operation)
        else:
            api.router.add_route(route.method, route.path, route.web_handler(),
                                 name=route.operation)
    api.router.add_get("/openapi.json", openapi_json, name="openapi")
    return api


def create_probe_api(dependencies: ApiDependencies) -> web.Application:
    """Only the API's readiness probe (GET /readyz, no token): what a `serve --role relay`
    process serves under /api/v1, so one probe fits both roles and nothing there acts."""
    api = web.Application(middlewares=[problems])
    api[DEPENDENCIES] = dependencies
    for route in ROUTES:
        if route.operation in PROBES:
            api.router.add_get(route.path, route.web_handler(), name=route.operation)
    return api


def mount_api(app: web.Application, api: web.Application) -> None:
    """Serve the API under /api/v1 of the bot's application."""
    app.add_subapp(PREFIX, api)
