"""Offline Block Kit checks: slack_sdk's models plus the count rules those models do not enforce."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100


class BlockKitError(ValueError):
    """A rendering Slack would refuse; the message says which rule."""


def check_blocks(blocks: Sequence[dict[str, Any]], limit: int) -> None:
    """Every block parses and validates; ids are unique; the count is within `limit`."""
    if not 0 < len(blocks) <= limit:
        raise BlockKitError(f"{len(blocks)} blocks; Slack takes 1 to {limit}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        raise BlockKitError(f"duplicate block_id in {block_ids}")
    for raw in blocks:
        parsed = Block.parse(raw)
        if parsed is None:
            raise BlockKitError(f"unknown block type {raw.get('type')!r}")
        parsed.to_dict()
        elements = raw.get("elements", []) if raw.get("type") == "actions" else []
        action_ids = [e["action_id"] for e in elements if "action_id" in e]
        if len(action_ids) != len(set(action_ids)):
            raise BlockKitError(f"duplicate action_id in {action_ids}")


def check_message(message: dict[str, Any]) -> None:
    """A message body: a non-empty notification text and at most 50 valid blocks."""
    if not str(message.get("text", "")).strip():
        raise BlockKitError("a message with blocks still needs its notification text")
    check_blocks(message.get("blocks", []), MESSAGE_BLOCKS_MAX)


def check_view(view: dict[str, Any]) -> None:
    """A modal or Home tab: slack_sdk's View rules plus the block checks."""
    View(**view).to_dict()
    check_blocks(view.get("blocks", []), VIEW_BLOCKS_MAX)
