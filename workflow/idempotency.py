"""What a create request asked for, as one hash: a retry under its idempotency key must match it."""

from __future__ import annotations

import hashlib
import json

from workflow.codec import content_to_dict, metadata_to_dict
from workflow.model import ChangeRequest, Content, Metadata


def request_hash(content: Content, metadata: Metadata, dry_run_output: str | None,
                 submit: bool) -> str:
    """sha256 of the canonical JSON of everything in a create request that shapes the change."""
    shaped = {
        "content": content_to_dict(content),
        "metadata": metadata_to_dict(metadata),
        "dry_run_output": dry_run_output,
        "submit": submit,
    }
    canonical = json.dumps(shaped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_request(existing: ChangeRequest, hashed: str) -> bool:
    """The change was created by a request with this hash; one created before hashes were kept
    (it has none) is taken to be, as it was then."""
    return existing.request_hash in (None, hashed)
