"""HMAC-SHA256 request signing: receivers verify a webhook came from ChangeGate, unreplayed."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-ChangeGate-Signature"
TIMESTAMP_HEADER = "X-ChangeGate-Timestamp"
VERSION = "v1"
TOLERANCE_S = 300


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`v1=<hex>` over `v1:<timestamp>:<body>`, so neither can be changed or reused apart."""
    signed = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, timestamp: str, body: bytes, given: str, now: float,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """What a receiver checks: a recent timestamp and a matching signature (constant time)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)
