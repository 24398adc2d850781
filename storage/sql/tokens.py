"""API tokens on SQL: written on the writer engine, checked on the reader, never cached, so a
revocation takes effect on the next request."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from storage.ports.tokens import TokenStore
from storage.sql.engines import Database
from storage.sql.errors import UniqueViolation
from storage.sql.schema import api_tokens
from storage.tokens import (
    ApiToken,
    IssuedToken,
    TokenError,
    bearer_hash,
    bearer_id,
    check_new_token,
    decode_scopes,
    encode_scopes,
    hash_matches,
    new_bearer,
    pick,
)

t = api_tokens


def _token(row: Any) -> ApiToken:
    return ApiToken(row.id, row.name, row.user_id, decode_scopes(row.scopes), row.created_at,
                    row.revoked_at)


class SqlTokens:
    """The api_tokens table of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, name: str, user: str, scopes: Collection[str], now: datetime
    ) -> IssuedToken:
        checked = check_new_token(name, user, scopes)
        token_id, bearer = new_bearer()
        token = ApiToken(token_id, name, user, checked, now)
        try:
            async with self._db.write() as conn:
                await conn.execute(insert(t).values(
                    id=token_id, name=name, user_id=user, scopes=encode_scopes(checked),
                    secret_sha256=bearer_hash(bearer), created_at=now,
                ))
        except UniqueViolation:
            raise TokenError(
                f"a live token is already named {name!r}: revoke it or pick another"
            ) from None
        return IssuedToken(token, bearer)

    async def list(self) -> list[ApiToken]:
        async with self._db.read() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.created_at, t.c.id))).all()
        return [_token(row) for row in rows]

    async def revoke(self, name_or_id: str, now: datetime) -> ApiToken:
        async with self._db.write() as conn:
            rows = (await conn.execute(
                select(t).where((t.c.id == name_or_id) | (t.c.name == name_or_id))
            )).all()
            token = pick([_token(row) for row in rows], name_or_id)
            if not token.live:
                return token
            await conn.execute(update(t).where(t.c.id == token.id).values(revoked_at=now))
        return ApiToken(token.id, token.name, token.user, token.scopes, token.created_at, now)

    async def authenticate(self, bearer: str) -> ApiToken | None:
        token_id = bearer_id(bearer)
        if token_id is None:
            return None
        async with self._db.read() as conn:
            row = (await conn.execute(select(t).where(t.c.id == token_id))).first()
        if row is None or not hash_matches(bearer, row.secret_sha256) or row.revoked_at:
            return None
        return _token(row)


if TYPE_CHECKING:  # mypy proves the SQL store has the store's shape
    _store: type[TokenStore] = SqlTokens
