"""response_url posts: ephemeral or in-channel replies, replacing or deleting the original."""

from __future__ import annotations

from typing import Any

from bot.sandbox.fakeslack.api import Fake
from bot.sandbox.fakeslack.state import (
    RESPONSE_URL_LIFE_S,
    RESPONSE_URL_USES,
    Ephemeral,
    Message,
    ResponseUrl,
)


def respond_to_url(fake: Fake, handle: ResponseUrl | None, body: Any) -> tuple[int, str]:
    """Apply one response_url post; returns the HTTP status and text Slack would answer."""
    if handle is None:
        return 404, "no_service"
    if fake.clock() - handle.issued_at > RESPONSE_URL_LIFE_S:
        return 404, "expired_url"
    if handle.uses >= RESPONSE_URL_USES:
        return 404, "used_url"
    if not isinstance(body, dict):
        return 400, "invalid_payload"
    handle.uses += 1
    original = (handle.channel, handle.message_ts) if handle.message_ts else None
    if body.get("delete_original") and original:
        fake.state.drop_message(*original)
        return 200, "ok"
    text = str(body.get("text") or "")
    blocks = body.get("blocks") or []
    if not text and not blocks:
        return 400, "no_text"
    if body.get("replace_original") and original and original in fake.state.messages:
        message = fake.state.messages[original]
        message.text, message.blocks = text, blocks
        message.edits += 1
        fake.state.put_message(message)
        return 200, "ok"
    if body.get("response_type") == "in_channel":
        fake.state.put_message(Message(handle.channel, fake.state.next_ts(), text, blocks,
                                       fake.workspace.bot_user_id))
        return 200, "ok"
    fake.state.put_ephemeral(Ephemeral(handle.channel, handle.user, text, blocks,
                                       "response_url", fake.state.next_ts()))
    return 200, "ok"
