"""POST /changes/{id}/abort: an operator stops a running apply, saying why."""

from __future__ import annotations

from aiohttp import web

from bot.api import params
from bot.api.bodies import NOTE_MAX
from bot.api.body import json_body
from bot.api.changes import answer
from bot.api.context import deps
from bot.api.fields import Field
from storage.tokens import ApiToken

ABORT = (Field("reason", "string", "Why the apply must be stopped; shown on the card, in the "
               "thread and the history.", True, NOTE_MAX, blank=False),)


async def abort_apply(request: web.Request, token: ApiToken) -> web.Response:
    """The change stays executing with `apply.abort_requested` until the executor's outcome
    (failed with `aborted`, or whatever the apply reached first) is recorded."""
    d = deps(request)
    change_id = params.change_id(request)
    values = await json_body(request, ABORT, required=True)
    return answer(await d.engine.abort(change_id, token.user, values["reason"]))
