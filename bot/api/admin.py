"""Administration of the running process: reload its policy file without a restart."""

from __future__ import annotations

from aiohttp import web

from bot.api import params
from bot.api.bodies import EMPTY
from bot.api.body import json_body
from bot.api.context import deps
from bot.api.problems import ApiProblem
from bot.kept_apart import report_kept_apart
from bot.policy_reload import PolicyRefused
from storage.tokens import ApiToken


async def reload_policy(request: web.Request, token: ApiToken) -> web.Response:
    """POST /admin/reload-policy: read the file again; an invalid one is refused (422) with its
    errors and the policy in force stays. Only this replica reloads."""
    params.known_only(request, ())
    await json_body(request, EMPTY)
    holder = deps(request).policy
    if holder is None:
        raise ApiProblem(409, "no_policy_file", "this process was not started from a policy "
                         "file it can reload")
    try:
        reloaded = holder.reload()
    except PolicyRefused as exc:
        raise ApiProblem(422, "invalid_policy",
                         f"{holder.path} is not a valid policy; still running "
                         f"{holder.version}: {'; '.join(exc.errors)}",
                         extra={"errors": exc.errors, "policy_version": holder.version}
                         ) from None
    kept = await report_kept_apart(holder(), deps(request).reads)
    return web.json_response({"policy_version": reloaded.version,
                              "previous_version": reloaded.previous,
                              "changed": reloaded.changed, "kept_apart": kept})
