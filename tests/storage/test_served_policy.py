"""A database remembers the policy file it is served with and names the one before a switch."""

from __future__ import annotations

from storage.sql.engines import Database
from storage.sql.served_policy import serve_policy


async def test_the_policy_before_is_named_only_when_it_changes(db: Database) -> None:
    assert await serve_policy(db, "/srv/a.yaml") is None  # the first serve
    assert await serve_policy(db, "/srv/a.yaml") is None  # the same policy again
    assert await serve_policy(db, "/srv/b.yaml") == "/srv/a.yaml"
    assert await serve_policy(db, "/srv/b.yaml") is None
