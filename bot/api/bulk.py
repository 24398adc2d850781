"""POST /reviews: many approvals or rejections at once, each decided on its own.

Every item goes through the same engine call as POST /changes/{id}/review, in its own
transaction, so four eyes, stage, digest and staleness hold per item; one refusal never undoes
or hides another item's result (a 207 body lists each).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.api.actions import review_as
from bot.api.bodies import REVIEWS
from bot.api.body import json_body
from bot.api.context import ApiDependencies, deps
from bot.api.params import CHANGE_ID
from bot.api.problems import ApiProblem, refusal
from bot.api.represent import change_json
from storage.errors import StorageError
from storage.tokens import ApiToken
from workflow.errors import WorkflowError

MULTI_STATUS = 207
log = logging.getLogger(__name__)


async def reviews(request: web.Request, token: ApiToken) -> web.Response:
    """POST /reviews: one result per item, in the order given."""
    d = deps(request)
    values = await json_body(request, REVIEWS, required=True)
    results = [await _review_one(d, token.user, item) for item in values["reviews"]]
    refused = sum(1 for r in results if r["change"] is None)
    return web.json_response({"results": results, "reviewed": len(results) - refused,
                              "refused": refused}, status=MULTI_STATUS)


async def _review_one(d: ApiDependencies, user: str, item: dict[str, Any]) -> dict[str, Any]:
    """One item's status code, and the change or the refusal's reason and detail."""
    change_id = item["id"]
    try:
        if not CHANGE_ID.fullmatch(change_id):
            raise ApiProblem(404, "not_found", f"{change_id} does not exist "
                                               "(ids look like CHG-42)")
        cr = await review_as(d.engine, user, change_id, item)
    except WorkflowError as exc:
        return _refused(change_id, refusal(exc))
    except ApiProblem as problem:
        return _refused(change_id, problem)
    except StorageError:
        log.exception("database error reviewing %s", change_id)
        return _refused(change_id, ApiProblem(
            503, "database_unavailable", "the database did not answer as expected: retry "
            "this item"))
    return {"id": change_id, "status": 200, "reason": None, "detail": None,
            "change": change_json(cr)}


def _refused(change_id: str, problem: ApiProblem) -> dict[str, Any]:
    return {"id": change_id, "status": problem.status, "reason": problem.reason,
            "detail": problem.detail, "change": None}
