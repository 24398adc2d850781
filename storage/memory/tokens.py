"""API tokens in memory: the reference the database store behaves like, for fast tests."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from storage.ports.tokens import TokenStore
from storage.tokens import (
    ApiToken,
    IssuedToken,
    TokenError,
    bearer_hash,
    bearer_id,
    check_new_token,
    hash_matches,
    new_bearer,
    pick,
)


@dataclass
class _Stored:
    token: ApiToken
    hash: str


class MemoryTokens:
    """Tokens of one process, lost on exit."""

    def __init__(self) -> None:
        self._tokens: dict[str, _Stored] = {}

    async def create(
        self, name: str, user: str, scopes: Collection[str], now: datetime
    ) -> IssuedToken:
        checked = check_new_token(name, user, scopes)
        if any(s.token.name == name and s.token.live for s in self._tokens.values()):
            raise TokenError(f"a live token is already named {name!r}: revoke it or pick another")
        token_id, bearer = new_bearer()
        token = ApiToken(token_id, name, user, checked, now)
        self._tokens[token_id] = _Stored(token, bearer_hash(bearer))
        return IssuedToken(token, bearer)

    async def list(self) -> list[ApiToken]:
        return sorted((s.token for s in self._tokens.values()), key=lambda t: t.created_at)

    async def revoke(self, name_or_id: str, now: datetime) -> ApiToken:
        token = pick(await self.list(), name_or_id)
        if not token.live:
            return token
        revoked = replace(token, revoked_at=now)
        self._tokens[token.id].token = revoked
        return revoked

    async def authenticate(self, bearer: str) -> ApiToken | None:
        token_id = bearer_id(bearer)
        stored = self._tokens.get(token_id) if token_id else None
        if stored is None or not hash_matches(bearer, stored.hash) or not stored.token.live:
            return None
        return stored.token


if TYPE_CHECKING:  # mypy proves the memory store has the store's shape
    _store: type[TokenStore] = MemoryTokens
