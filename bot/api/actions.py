"""Actions on a change: dry-run, submit, review, comment, withdraw, apply, report, resolve.

Each is one engine call with the token's user as the actor; the engine enforces every rule.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api import params
from bot.api.bodies import COMMENT, DRY_RUN, EMPTY, RESOLVE, RESULT, REVIEW, WITHDRAW
from bot.api.body import json_body
from bot.api.changes import answer
from bot.api.context import deps
from bot.api.problems import bad_input, refusal_of_field
from storage.tokens import ApiToken
from workflow.engine import Engine
from workflow.errors import DryRunNotAccepted
from workflow.model import ApplyStatus, ChangeRequest
from workflow.seen import seen_from_wire


async def dry_run(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/dry-run: record a runner's output, or run the bound executor."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, DRY_RUN)
    if "output" in values:
        try:
            cr = await d.engine.record_dry_run(change_id, token.user, values["output"],
                                               values.get("revision"))
        except DryRunNotAccepted as refused:  # an executor's family: the output is the problem
            raise refusal_of_field(refused, "output") from None
        return answer(cr)
    if values:
        raise bad_input("output", "is required when revision is given")
    return answer(await d.engine.run_dry_run(change_id, token.user))


async def submit(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/submit: the policy picks the workflow now."""
    d = deps(request)
    change_id = params.change_id(request)
    await json_body(request, EMPTY)
    return answer(await d.engine.submit(change_id, token.user))


async def review(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/review: approve, or reject with a reason, bound to the revision and
    dry-run digest the reviewer was shown."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, REVIEW, required=True)
    return answer(await review_as(d.engine, token.user, change_id, values))


async def review_as(engine: Engine, user: str, change_id: str, values: dict[str, Any]
                    ) -> ChangeRequest:
    """One checked review body (alone or an item of POST /reviews) as the engine's call."""
    seen = seen_from_wire(values["revision"], values["digest"])
    comment = values.get("comment", "")
    if values["approved"]:
        return await engine.approve(change_id, user, seen, comment)
    return await engine.reject(change_id, user, seen, comment)


async def comment(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/comments: a note that never counts."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, COMMENT, required=True)
    return answer(await d.engine.comment(change_id, token.user, values["text"]), 201)


async def withdraw(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/withdraw: the requester cancels; anyone else takes back an approval."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, WITHDRAW)
    return answer(await d.engine.withdraw(change_id, token.user, values.get("comment", "")))


async def apply(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/apply: the one apply gate (a stale dry-run is re-run first)."""
    d = deps(request)
    change_id = params.change_id(request)
    await json_body(request, EMPTY)
    return answer(await d.engine.apply(change_id, token.user))


async def result(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/result: an outside executor reports the apply it ran; the engine
    refuses reports for applies ChangeGate's own executor runs."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, RESULT, required=True)
    cr = await d.engine.record_outcome(change_id, token.user, values.get("key") or None,
                                       ApplyStatus(values["status"]), values.get("output", ""))
    return answer(cr)


async def resolve(request: web.Request, token: ApiToken) -> web.Response:
    """POST /changes/{id}/resolve: a person settles an apply whose outcome was unknown."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, RESOLVE, required=True)
    cr = await d.engine.resolve(change_id, token.user, ApplyStatus(values["status"]),
                                values["note"])
    return answer(cr)
