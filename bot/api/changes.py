"""Creating, listing, reading and editing changes."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot.api import params
from bot.api.bodies import CREATE, PATCH, merged, new_content, new_metadata
from bot.api.body import json_body
from bot.api.context import ApiDependencies, deps
from bot.api.problems import ApiProblem, bad_input, refusal_of_field
from bot.api.represent import audit_json, change_json, summary_json
from storage.reads import ChangeFilter, needs_action_since
from storage.tokens import ApiToken
from workflow.errors import DryRunNotAccepted, NothingChanged
from workflow.model import ChangeRequest, State

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[!-~]{1,200}")
STATES = tuple(s.value for s in State)
LIST_PARAMS = ("state", "requester", "mine", "awaiting", "needs_action", "approved_by", "limit",
               "cursor")


def answer(cr: ChangeRequest, status: int = 200,
           headers: dict[str, str] | None = None) -> web.Response:
    """A change after a write (its commit woke the long-polls waiting on it)."""
    return web.json_response(change_json(cr), status=status, headers=headers)


async def existing(d: ApiDependencies, change_id: str) -> ChangeRequest:
    """The committed change, or 404."""
    cr = await d.reads.get(change_id)
    if cr is None:
        raise ApiProblem(404, "not_found", f"{change_id} does not exist")
    return cr


def idempotency_key(request: web.Request) -> str | None:
    """The Idempotency-Key header: printable ASCII without spaces, up to 200 characters."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and not KEY_PATTERN.fullmatch(key):
        raise bad_input(IDEMPOTENCY_KEY, "must be 1 to 200 printable ASCII characters, no spaces")
    return key


async def create_change(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes: propose, optionally with the dry-run and submitted, in one transaction.
    A retry under the same Idempotency-Key answers 200 with the change the first one created
    (the engine settles that in the creating transaction; other content is refused with 409)."""
    d = deps(request)
    values = await json_body(request, CREATE, required=True)
    dry_run = values.get("dry_run")
    try:
        proposed = await d.engine.propose_once(
            token.user, new_content(values), new_metadata(values),
            idempotency_key=idempotency_key(request),
            dry_run_output=dry_run["output"] if dry_run is not None else None,
            submit=bool(values.get("submit", False)),
        )
    except DryRunNotAccepted as refused:  # an executor's family: the output is the problem
        raise refusal_of_field(refused, "dry_run.output") from None
    if not proposed.created:
        return web.json_response(change_json(proposed.change), headers={REPLAYED: "true"})
    location = f"{request.path.rstrip('/')}/{proposed.change.id}"
    return answer(proposed.change, 201, {"Location": location})


async def list_changes(request: web.Request, token: ApiToken) -> web.Response:
    """GET /changes: filtered, newest first, a page at a time."""
    d = deps(request)
    params.known_only(request, LIST_PARAMS)
    states = [s for value in request.query.getall("state", []) for s in value.split(",")]
    for state in states:
        if state not in STATES:
            raise bad_input("state", f"must be one of {', '.join(STATES)}, got {state!r}")
    requester = params.single(request, "requester")
    if params.choice(request, "mine", ("true", "false")) == "true":
        if requester not in (None, token.user):
            raise bad_input("mine", "cannot be combined with another requester")
        requester = token.user
    awaiting = params.choice(request, "awaiting", ("me",)) is not None
    needs_action = params.choice(request, "needs_action", ("me",)) is not None
    approved_by = params.choice(request, "approved_by", ("me",)) is not None
    groups = await d.directory.groups_of(token.user) if awaiting else frozenset()
    where = ChangeFilter(frozenset(State(s) for s in states), requester,
                         token.user if awaiting else None, groups,
                         needs_action=token.user if needs_action else None,
                         needs_action_since=needs_action_since(d.clock.now()),
                         approved_by=token.user if approved_by else None)
    limit, before = params.limit(request), params.cursor(request)
    body: dict[str, Any] = {"changes": [], "next_cursor": None}
    if not awaiting or groups:
        page = await d.reads.changes(where, before, limit)
        body = {"changes": [summary_json(cr) for cr in page.changes],
                "next_cursor": None if page.next_before is None else str(page.next_before)}
    return web.json_response(body)


async def get_change(request: web.Request, token: ApiToken) -> web.Response:
    """GET /changes/{id}."""
    params.known_only(request, ())
    cr = await existing(deps(request), params.change_id(request))
    return web.json_response(change_json(cr))


async def change_history(request: web.Request, token: ApiToken) -> web.Response:
    """GET /changes/{id}/history: its audit events across every revision."""
    d = deps(request)
    params.known_only(request, ())
    cr = await existing(d, params.change_id(request))
    rows = await d.reads.history(cr.id)
    return web.json_response({"change_id": cr.id, "events": [audit_json(r) for r in rows]})


async def edit_change(request: web.Request, token: ApiToken) -> web.Response:
    """PATCH /changes/{id}: given fields laid over the current ones; content makes a revision."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, PATCH, required=True)
    revision = values.pop("revision", None)
    if not values:
        raise bad_input("body", "name at least one field to change")
    current = await existing(d, change_id)
    content, metadata = merged(current, values)
    try:
        cr = await d.engine.edit(change_id, token.user, content, metadata, revision)
    except NothingChanged:
        return web.json_response(change_json(current))
    return answer(cr)
