"""chat.* and conversations.open: messages by channel and ts, threads, ephemerals, DMs."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from bot.sandbox.fakeslack.api import ApiError, Args, Fake, Result, flag, json_arg, required
from bot.sandbox.fakeslack.state import Ephemeral, Message

MESSAGE_BLOCKS_MAX = 50
TEXT_MAX = 40_000


def _conversation(fake: Fake, channel: str) -> str:
    """A channel id the bot can post to; a user id means the DM with that user."""
    workspace = fake.workspace
    if channel in workspace.channels:
        return channel
    if channel in workspace.users:
        return workspace.dm_with(channel).id
    raise ApiError("channel_not_found")


def _blocks(args: Args) -> list[dict[str, Any]]:
    """Blocks as Slack checks them: parseable, valid, at most 50."""
    blocks = json_arg(args, "blocks") or []
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    if len(blocks) > MESSAGE_BLOCKS_MAX:
        raise ApiError("invalid_blocks", errors=[f"more than {MESSAGE_BLOCKS_MAX} blocks"])
    for raw in blocks:
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
            parsed.to_dict()
        except (SlackObjectFormationError, AttributeError, TypeError) as exc:
            raise ApiError("invalid_blocks", errors=[str(exc)]) from None
    return blocks


def _text(args: Args, blocks: list[dict[str, Any]]) -> str:
    text = str(args.get("text") or "")
    if not text and not blocks:
        raise ApiError("no_text")
    if len(text) > TEXT_MAX:
        raise ApiError("msg_too_long")
    return text


def post_message(fake: Fake, args: Args) -> Result:
    channel = _conversation(fake, required(args, "channel"))
    blocks = _blocks(args)
    text = _text(args, blocks)
    thread_ts = args.get("thread_ts") or None
    if thread_ts and (channel, thread_ts) not in fake.state.messages:
        raise ApiError("thread_not_found")
    message = Message(channel, fake.state.next_ts(), text, blocks, fake.workspace.bot_user_id,
                      thread_ts, flag(args, "reply_broadcast"))
    fake.state.put_message(message)
    return {"channel": channel, "ts": message.ts, "message": message.as_json()}


def update(fake: Fake, args: Args) -> Result:
    channel = _conversation(fake, required(args, "channel"))
    ts = required(args, "ts")
    message = fake.state.messages.get((channel, ts))
    if message is None:
        raise ApiError("message_not_found")
    if message.user != fake.workspace.bot_user_id:
        raise ApiError("cant_update_message")
    blocks = _blocks(args)
    message.text = _text(args, blocks)
    message.blocks = blocks
    message.edits += 1
    fake.state.put_message(message)
    return {"channel": channel, "ts": ts, "text": message.text, "message": message.as_json()}


def post_ephemeral(fake: Fake, args: Args) -> Result:
    channel = _conversation(fake, required(args, "channel"))
    user = required(args, "user")
    if user not in fake.workspace.users:
        raise ApiError("user_not_found")
    blocks = _blocks(args)
    text = _text(args, blocks)
    ts = fake.state.next_ts()
    fake.state.put_ephemeral(Ephemeral(channel, user, text, blocks, "chat.postEphemeral", ts))
    return {"message_ts": ts}


def conversations_open(fake: Fake, args: Args) -> Result:
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if len(users) != 1:
        raise ApiError("not_enough_users" if not users else "too_many_users")
    if users[0] not in fake.workspace.users:
        raise ApiError("user_not_found")
    channel = fake.workspace.dm_with(users[0])
    return {"channel": {"id": channel.id, "is_im": True, "user": users[0]}}
