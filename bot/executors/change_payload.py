"""What every executor receives: the change, its revision and digest, and whether to apply."""

from __future__ import annotations

import json
from typing import Any, Literal

from workflow.codec import content_to_dict
from workflow.model import ChangeRequest

Mode = Literal["dry_run", "apply", "abort"]


def change_payload(change: ChangeRequest, mode: Mode, key: str | None = None) -> dict[str, Any]:
    """The request body; an apply carries the approved digest and its idempotency key."""
    if mode == "apply" and change.apply is not None:
        digest: str | None = change.apply.digest
    else:
        digest = change.dry_run.digest if change.dry_run else None
    return {
        "change": change.id,
        "revision": change.revision,
        "digest": digest,
        "mode": mode,
        "idempotency_key": key,
        "title": change.metadata.title,
        "ticket": change.metadata.ticket,
        "requester": change.requester,
        "content": content_to_dict(change.content),
    }


def encode(payload: dict[str, Any]) -> bytes:
    """Compact, key-sorted JSON: the exact bytes that are signed and sent."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
