"""GET /changes/{id}/wait: a bounded long-poll until the review is decided or the change ends.

A commit in this process (through the API, Slack or a timer) wakes waiters at once; writes of
other replicas are seen by re-reading every `wait_poll_s` seconds. Either way the answer is the
current change and whether it reached the condition.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.api import params
from bot.api.changes import existing
from bot.api.context import DEFAULT_WAIT_S, deps
from bot.api.represent import change_json, decided, terminal
from storage.tokens import ApiToken
from workflow.model import ChangeRequest


def aborting(cr: ChangeRequest) -> bool:
    """An outside pipeline's cue: stop the apply you run (then report it), or it ended."""
    return terminal(cr) or (cr.apply is not None and cr.apply.abort_requested_by is not None)


CONDITIONS = {"decided": decided, "terminal": terminal, "abort": aborting}


async def wait_for_change(request: web.Request, token: ApiToken) -> web.Response:
    """Answer as soon as the condition holds, or with the current state when the time is up."""
    d = deps(request)
    params.known_only(request, ("until", "timeout"))
    change_id = params.change_id(request)
    until = params.choice(request, "until", tuple(CONDITIONS), "decided")
    assert until is not None
    timeout = params.whole(request, "timeout", DEFAULT_WAIT_S, 0, d.max_wait_s)
    reached = CONDITIONS[until]
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + timeout
    while True:
        ticket = d.watch.ticket()
        cr: ChangeRequest = await existing(d, change_id)
        remaining = deadline - loop.time()
        if reached(cr) or remaining <= 0:
            return web.json_response({
                "change": change_json(cr),
                "until": until,
                "reached": reached(cr),
                "waited_s": round(loop.time() - started, 3),
            })
        await d.watch.wait(ticket, min(remaining, d.wait_poll_s))
