"""Signed private_metadata: a form's hidden data names the change, revision, dry-run and card it
was opened for, and a submission is trusted with it only if the bot itself wrote it."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

KEY_LABEL = b"changegate private_metadata v1"  # the key is never a Slack secret itself
DATA, MAC = "data", "mac"


def metadata_key(*secrets: str | None) -> bytes:
    """A key derived from the first secret given: every replica that shares it verifies the
    forms the others opened."""
    secret = next((s for s in secrets if s), None)
    if secret is None:
        raise ValueError("a metadata key needs a secret to derive it from")
    return hmac.new(secret.encode(), KEY_LABEL, hashlib.sha256).digest()


class MetadataSeal:
    """HMAC-SHA256 over a view's private_metadata and callback_id, so a submission can carry
    neither data the bot did not write nor another form's."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, callback_id: str, data: str) -> str:
        return hmac.new(self._key, f"{callback_id}\n{data}".encode(), hashlib.sha256).hexdigest()

    def sealed(self, view: dict[str, Any]) -> dict[str, Any]:
        """The view as it may leave the bot: a form (a view with a callback_id) carries its
        metadata signed; a read-only view goes as it is."""
        callback_id = view.get("callback_id")
        if not callback_id:
            return view
        data = str(view.get("private_metadata") or "")
        seal = {DATA: data, MAC: self._mac(str(callback_id), data)}
        return {**view, "private_metadata": json.dumps(seal)}

    def opened(self, view: dict[str, Any]) -> str | None:
        """The metadata the bot wrote into this submitted form; None when it does not verify."""
        try:
            seal = json.loads(str(view.get("private_metadata") or ""))
        except ValueError:
            return None
        if not isinstance(seal, dict):
            return None
        data, mac = seal.get(DATA), seal.get(MAC)
        if not (isinstance(data, str) and isinstance(mac, str)):
            return None
        expected = self._mac(str(view.get("callback_id") or ""), data)
        return data if hmac.compare_digest(mac.encode(), expected.encode()) else None
