"""Where API tokens live: the database in production, memory in tests."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from storage.tokens import ApiToken, IssuedToken


class TokenStore(Protocol):
    """Where tokens live: the database in production, memory in tests."""

    async def create(
        self, name: str, user: str, scopes: Collection[str], now: datetime
    ) -> IssuedToken:
        """Store a new token; a live token of the same name is a TokenError."""
        ...

    async def list(self) -> list[ApiToken]:
        """Every token, revoked ones too, oldest first."""
        ...

    async def revoke(self, name_or_id: str, now: datetime) -> ApiToken:
        """Revoke by id or live name; revoking again changes nothing and returns it."""
        ...

    async def authenticate(self, bearer: str) -> ApiToken | None:
        """The live token of a bearer value; None for unknown, wrong or revoked ones."""
        ...
