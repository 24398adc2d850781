"""Forms whose hidden data the bot did not write are refused before any listener reads it: the
listeners then see only the private_metadata the bot signed, on every transport."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from bot.slack.rendering.modals import notice_modal
from bot.slack.sealing import MetadataSeal

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse]]
REFUSED = (":no_entry: This form's hidden data is not what ChangeGate wrote into it, so nothing "
           "was recorded. Open the form again from the change's card.")


def refusing_forged_forms(seal: MetadataSeal) -> Callable[..., Awaitable[BoltResponse]]:
    """Bolt middleware: a submitted form goes on with the metadata the bot signed, unwrapped;
    one whose signature does not verify is answered in the form itself, logged, and dropped."""

    async def refuse_forged_forms(body: dict[str, Any],
                                  next: Next) -> BoltResponse:  # Bolt passes it by this name
        view = body.get("view")
        if body.get("type") != "view_submission" or not isinstance(view, dict):
            return await next()
        data = seal.opened(view)
        if data is None:
            user = body.get("user")
            log.warning("refused a %r form submitted by %r: its private_metadata is not signed "
                        "by ChangeGate", str(view.get("callback_id"))[:60],
                        str(user.get("id") if isinstance(user, dict) else user)[:40])
            return BoltResponse(status=200, body={
                "response_action": "update", "view": notice_modal("ChangeGate", REFUSED)})
        view["private_metadata"] = data
        return await next()

    return refuse_forged_forms
