"""API tokens: a public id, a secret shown once, and only a hash of the secret kept.

A bearer value reads `cg_<id>_<secret>`: the id finds the row, the sha256 of the whole value is
compared with the stored one in constant time. The id and the hash are enough to list and revoke
a token; nobody, the database included, can show the secret again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from workflow.actors import is_person

PREFIX = "cg"
READ, SUBMIT, REVIEW, APPLY, ADMIN = "read", "submit", "review", "apply", "admin"
SCOPES = (READ, SUBMIT, REVIEW, APPLY, ADMIN)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_PATTERN = re.compile(r"[0-9a-f]{12}")
BEARER_PATTERN = re.compile(rf"{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")


class TokenError(Exception):
    """A token cannot be created, found or revoked; the message says why and what to do."""


class TokenNotFound(TokenError):
    """No token has the given name or id."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as stored: who it acts as and what it may do; never the secret."""

    id: str
    name: str
    user: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def live(self) -> bool:
        """Revoked tokens authenticate nobody."""
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        """`admin` holds every scope."""
        return scope in self.scopes or ADMIN in self.scopes


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just created, with the bearer value to show exactly once."""

    token: ApiToken
    bearer: str


def check_new_token(name: str, user: str, scopes: Collection[str]) -> frozenset[str]:
    """Refuse a malformed name, user id or scope list; returns the scopes as a set."""
    if not NAME_PATTERN.fullmatch(name):
        raise TokenError(
            f"token name {name!r} must be 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if ID_PATTERN.fullmatch(name):  # so `token revoke NAME-or-id` can never mean two tokens
        raise TokenError(
            f"token name {name!r} looks like a token id (12 hex digits): choose a name "
            "`token revoke` cannot take for another token's id"
        )
    if not is_person(user):  # so a token never acts as `system` or as nobody
        raise TokenError(f"user {user!r} must be a Slack user id such as U0123ABCD")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(
            f"scopes must be a non-empty list of {', '.join(SCOPES)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return frozenset(scopes)


def new_bearer() -> tuple[str, str]:
    """A fresh token id and bearer value (256 random bits of secret)."""
    token_id = secrets.token_hex(6)
    return token_id, f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"


def bearer_hash(bearer: str) -> str:
    """What is stored instead of the bearer value."""
    return hashlib.sha256(bearer.encode("utf-8")).hexdigest()


def bearer_id(bearer: str) -> str | None:
    """The token id of a well-formed bearer value; None for anything else."""
    match = BEARER_PATTERN.fullmatch(bearer)
    return match.group(1) if match else None


def hash_matches(bearer: str, stored_hash: str) -> bool:
    """Compare in constant time, so response times tell nothing about the stored hash."""
    return hmac.compare_digest(bearer_hash(bearer), stored_hash)


def encode_scopes(scopes: Collection[str]) -> str:
    """Scopes as stored: sorted, space separated."""
    return " ".join(sorted(scopes))


def decode_scopes(text: str) -> frozenset[str]:
    """Inverse of encode_scopes."""
    return frozenset(text.split())


def pick(tokens: Sequence[ApiToken], name_or_id: str) -> ApiToken:
    """The token with this id, else the live token with this name."""
    for token in tokens:
        if token.id == name_or_id:
            return token
    for token in tokens:
        if token.name == name_or_id and token.live:
            return token
    raise TokenNotFound(f"no token has the id or live name {name_or_id!r}: see `token list`")
