"""API tokens, one contract for memory, SQLite and PostgreSQL: a token authenticates as its user
until revoked, everywhere at once; names are unique among live tokens; malformed ones are
refused."""

from __future__ import annotations

import pytest

from storage.tokens import TokenError, TokenNotFound
from tests.support.clock import TestClock
from tests.support.ports import Ports


async def test_a_token_authenticates_as_its_user_until_revoked(ports: Ports) -> None:
    store, clock = ports.again().tokens, TestClock()
    issued = await store.create("ci", "U0CI", ["read", "submit"], clock.now())

    found = await store.authenticate(issued.bearer)
    assert found is not None
    assert (found.user, found.name, found.scopes) == ("U0CI", "ci", frozenset({"read", "submit"}))
    assert await store.authenticate(issued.bearer[:-1] + "x") is None
    assert await store.authenticate("cg_" + "0" * 12 + "_" + "a" * 43) is None
    assert await store.authenticate("not a token") is None

    clock.advance(minutes=5)
    revoked = await store.revoke("ci", clock.now())
    assert revoked.revoked_at == clock.now()
    assert await store.authenticate(issued.bearer) is None
    again = await store.revoke(issued.token.id, clock.now())
    assert again.revoked_at == revoked.revoked_at


async def test_a_name_is_unique_among_live_tokens_only(ports: Ports) -> None:
    store, clock = ports.again().tokens, TestClock()
    first = await store.create("deploy", "U0A1", ["read"], clock.now())
    with pytest.raises(TokenError, match="already named 'deploy'"):
        await store.create("deploy", "U0A2", ["read"], clock.now())

    await store.revoke("deploy", clock.now())
    second = await store.create("deploy", "U0A2", ["apply"], clock.advance(seconds=1))

    listed = await store.list()
    assert [t.id for t in listed] == [first.token.id, second.token.id]
    assert [t.live for t in listed] == [False, True]
    with pytest.raises(TokenNotFound):
        await store.revoke("nobody", clock.now())


@pytest.mark.parametrize(("name", "user", "scopes", "message"), [
    ("bad name", "U0A1", ["read"], "token name"),
    ("4f1c0a9e2b7d", "U0A1", ["read"], "looks like a token id"),  # revoke could mean two
    ("ok", "someone", ["read"], "Slack user id"),
    ("ok", "U0A1", ["root"], "unknown: root"),
    ("ok", "U0A1", [], "non-empty"),
])
async def test_malformed_tokens_are_refused(ports: Ports, name: str, user: str,
                                            scopes: list[str], message: str) -> None:
    store = ports.again().tokens
    with pytest.raises(TokenError, match=message):
        await store.create(name, user, scopes, TestClock().now())
    assert await store.list() == []


@pytest.mark.parametrize("user", ["system", "", "U", "u0a1", "U0A1 ", "U0A1\n", "B0BOT", "U0-A1"])
async def test_no_token_acts_as_system_or_a_malformed_id(ports: Ports, user: str) -> None:
    store = ports.again().tokens
    with pytest.raises(TokenError, match="Slack user id"):
        await store.create("pipeline", user, ["apply"], TestClock().now())

    assert await store.list() == []


async def test_another_process_sees_a_token_and_its_revocation_at_once(ports: Ports) -> None:
    """Nothing is cached: a token revoked by one replica is refused by the next request to any."""
    clock = TestClock()
    issued = await ports.again().tokens.create("ci", "U0CI", ["apply"], clock.now())
    other = ports.again().tokens
    found = await other.authenticate(issued.bearer)
    assert found is not None and found.allows("apply") and not found.allows("admin")
    await ports.again().tokens.revoke(issued.token.id, clock.advance(seconds=1))
    assert await other.authenticate(issued.bearer) is None
    assert [t.revoked_at for t in await other.list()] == [clock.now()]
