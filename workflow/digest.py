"""Dry-run output normalisation and digest, so cosmetic whitespace never invalidates approvals."""

from __future__ import annotations

import hashlib


def normalise_output(text: str) -> str:
    """Unify line endings, drop trailing spaces and surrounding blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def output_digest(text: str) -> str:
    """sha256 hex of the normalised output."""
    return hashlib.sha256(normalise_output(text).encode("utf-8")).hexdigest()
