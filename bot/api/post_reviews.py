"""POST /changes/{id}/post-review: the requester records how an applied or failed change went."""

from __future__ import annotations

from aiohttp import web

from bot.api import params
from bot.api.bodies import POST_REVIEW
from bot.api.body import json_body
from bot.api.changes import answer
from bot.api.context import deps
from storage.tokens import ApiToken
from workflow.post_review import ReviewOutcome


async def post_review(request: web.Request, token: ApiToken) -> web.Response:
    """Record (or replace) the review; the engine checks requester and state."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, POST_REVIEW, required=True)
    cr = await d.engine.post_review(change_id, token.user, ReviewOutcome(values["outcome"]),
                                    values["note"], tuple(values.get("links", ())))
    return answer(cr)
