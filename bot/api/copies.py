"""POST /changes/{id}/copy: copy as new (workflow.rules_copy). The token's user proposes a new
draft with the content and metadata of a change that ended without being applied; each call
makes a new draft."""

from __future__ import annotations

from aiohttp import web

from bot.api import params
from bot.api.bodies import EMPTY
from bot.api.body import json_body
from bot.api.changes import answer
from bot.api.context import deps
from storage.tokens import ApiToken


async def copy_change(request: web.Request, token: ApiToken) -> web.Response:
    """201 with the new draft and its Location; a source still in flight, applied or of unknown
    outcome is refused (409 wrong_state, saying why)."""
    d = deps(request)
    change_id = params.change_id(request)
    await json_body(request, EMPTY)
    cr = await d.engine.copy(change_id, token.user)
    changes = request.path.rstrip("/").rsplit("/", 2)[0]  # …/changes/CHG-n/copy → …/changes
    return answer(cr, 201, {"Location": f"{changes}/{cr.id}"})
