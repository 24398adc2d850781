"""The OpenAPI 3.1 document, built from the route table and the declared bodies and answers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from bot.api.body import MAX_BODY_BYTES
from bot.api.context import MAX_WAIT_S
from bot.api.fields import schema_of
from bot.api.params import MAX_LIMIT
from bot.api.problems import PROBLEM_JSON
from bot.api.routes import ROUTES, Route
from bot.api.schemas import SCHEMAS, STATE, ref
from storage.reads import NEEDS_ACTION_FOR
from workflow.time_range import TIME_RANGE

PREFIX = "/api/v1"
VERSION = "1.0.0"
DESCRIPTION = (
    "Propose network and infrastructure changes, wait for their human approval in Slack, apply "
    "them and report back. The token's Slack user is the actor: four eyes and eligibility "
    "apply exactly as in Slack. Errors are RFC 9457 problem details. Request bodies are JSON "
    f"of at most {MAX_BODY_BYTES} bytes. See docs/api.md."
)


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


CURSOR = {"type": "string", "pattern": "^[0-9]{1,18}$"}
QUERY = {
    "state": _query("state", {"type": "array", "items": STATE},
                    "Only these states (repeat the parameter, or separate with commas)."),
    "requester": _query("requester", {"type": "string"}, "Only changes of this Slack user."),
    "mine": _query("mine", {"type": "string", "enum": ["true", "false"]},
                   "true: only changes the token's user requested."),
    "awaiting": _query("awaiting", {"type": "string", "enum": ["me"]},
                       "me: changes whose active stage waits for the token's user."),
    "needs_action": _query("needs_action", {"type": "string", "enum": ["me"]},
                           "me: the token user's own changes that wait for them: apply outcome "
                           "unknown, post-implementation review owed, or rejected or expired "
                           f"in the last {NEEDS_ACTION_FOR.days} days."),
    "approved_by": _query("approved_by", {"type": "string", "enum": ["me"]},
                          "me: changes still open (in review, approved, scheduled or executing) "
                          "whose current revision carries the token user's live approval."),
    "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    "Page size (default 50)."),
    "cursor": _query("cursor", CURSOR, "`next_cursor` of the previous page."),
    "until": _query("until", {"type": "string", "enum": ["decided", "terminal", "abort"]},
                    "decided (default): approved or ended; terminal: ended; abort: an abort "
                    "of the running apply was requested, or ended."),
    "timeout": _query("timeout", {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_S},
                      "Seconds to wait at most (default 60)."),
    "since": _query("since", {"type": "string", "format": "date-time"},
                    f"Only events at or after this time (with a time zone, {TIME_RANGE})."),
    "change": _query("change", {"type": "string"}, "Only events of this change."),
}
AUDIT_LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                     "Page size (default 500).")
CHANGE_ID = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^CHG-[1-9][0-9]{0,17}$"},
             "description": "The change id, e.g. CHG-42."}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
               "description": "Retrying with the same key returns the change already created."}


def _problem(status: int | str) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if isinstance(status, int) else "Any other error"
    return {"description": phrase,
            "content": {PROBLEM_JSON: {"schema": ref("Problem")}}}


def _success(route: Route) -> dict[str, Any]:
    if route.answer == "text/plain":
        content = {"text/plain": {"schema": {"type": "string"}}}
    else:
        content = {"application/json": {"schema": ref(route.answer)}}
    return {"description": HTTPStatus(route.status).phrase, "content": content}


def operation(route: Route) -> dict[str, Any]:
    """One operation object."""
    parameters: list[dict[str, Any]] = []
    if "{id}" in route.path:
        parameters.append(CHANGE_ID)
    for name in route.query:
        parameters.append(AUDIT_LIMIT if (route.path, name) == ("/audit", "limit")
                          else QUERY[name])
    if route.operation == "createChange":
        parameters.append(IDEMPOTENCY)
    responses: dict[str, Any] = {str(route.status): _success(route)}
    if route.operation == "createChange":
        responses["200"] = {**_success(route), "description": "Replay of an Idempotency-Key"}
    responses.update({str(status): _problem(status) for status in route.errors})
    responses["default"] = _problem("default")
    op: dict[str, Any] = {
        "operationId": route.operation,
        "summary": route.summary,
        "security": [{"bearer": list(route.scopes)}] if route.scopes else [],
        "responses": responses,
    }
    if route.scopes:
        op["description"] = f"Scopes: {' or '.join(route.scopes)} (admin holds every scope)."
    if parameters:
        op["parameters"] = parameters
    if route.body is not None:
        op["requestBody"] = {
            "required": route.body_required,
            "content": {"application/json": {"schema": schema_of(route.body)}},
        }
    return op


def document() -> dict[str, Any]:
    """The whole document; paths are relative to the server URL /api/v1."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = operation(route)
    paths["/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "OK", "content": {
            "application/json": {"schema": {"type": "object"}}}}},
    }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ChangeGate API", "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A token from `changegate token create`; its scopes are read, "
                               "submit, review, apply and admin.",
            }},
        },
    }
