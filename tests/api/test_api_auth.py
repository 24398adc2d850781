"""Bearer tokens: who you are comes from the token, what you may do from its scopes."""

from __future__ import annotations

import pytest

from tests.api.harness import N1, N2, REQ, ApiWorld, change_body


async def test_no_token_is_401_with_a_challenge(sqlite_api: ApiWorld) -> None:
    answer = await sqlite_api.call("GET", "/changes")

    assert answer.status == 401
    assert answer.reason == "unauthenticated"
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="changegate"'
    assert "changegate token create" in answer.body["detail"]


@pytest.mark.parametrize("header", [
    "Basic dXNlcjpwYXNz", "Bearer", "Bearer cg_nothex_x", "Bearer " + "cg_0123456789ab_" + "a" * 43,
])
async def test_a_malformed_or_unknown_token_is_401(sqlite_api: ApiWorld, header: str) -> None:
    answer = await sqlite_api.call("GET", "/changes", headers={"Authorization": header})

    assert answer.status == 401
    assert answer.reason in ("unauthenticated", "invalid_token")


async def test_a_right_id_with_a_wrong_secret_is_401(sqlite_api: ApiWorld) -> None:
    real = sqlite_api.tokens[REQ]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")

    answer = await sqlite_api.call("GET", "/changes", token=forged)

    assert (answer.status, answer.reason) == (401, "invalid_token")


async def test_a_revoked_token_stops_working_at_once(api: ApiWorld) -> None:
    token = await api.token(N1, ("read",), name="short-lived")
    assert (await api.call("GET", "/changes", token=token)).status == 200

    await api.deps.tokens.revoke("short-lived", api.clock.now())

    answer = await api.call("GET", "/changes", token=token)
    assert (answer.status, answer.reason) == (401, "invalid_token")


async def test_a_token_without_the_scope_is_403_naming_it(api: ApiWorld) -> None:
    reader = await api.token(N1, ("read",))

    answer = await api.call("POST", "/changes", token=reader, body=change_body())

    assert (answer.status, answer.reason) == (403, "insufficient_scope")
    assert "submit" in answer.body["detail"]
    assert 'scope="submit"' in answer.headers["WWW-Authenticate"]
    assert await api.change_count() == 0


@pytest.mark.parametrize(("scopes", "allowed"), [
    (("read",), {"list"}),
    (("submit",), {"create", "comment"}),
    (("review",), {"review", "comment"}),
    (("apply",), set()),
    (("admin",), {"list", "create", "review", "comment"}),
])
async def test_each_route_takes_its_scopes(
    sqlite_api: ApiWorld, scopes: tuple[str, ...], allowed: set[str]
) -> None:
    api = sqlite_api
    change = await api.propose()
    cid = change["id"]
    token = await api.token(N2, scopes)
    calls = {
        "list": ("GET", "/changes", None),
        "create": ("POST", "/changes", change_body()),
        "review": ("POST", f"/changes/{cid}/review", await api.bound(cid, {"approved": True})),
        "comment": ("POST", f"/changes/{cid}/comments", {"text": "ok"}),
    }
    for name, (method, path, body) in calls.items():
        answer = await api.call(method, path, token=token, body=body)
        assert (answer.status != 403) == (name in allowed), (name, answer.body)


async def test_readyz_and_the_document_need_no_token(sqlite_api: ApiWorld) -> None:
    assert (await sqlite_api.call("GET", "/readyz")).status == 200
    assert (await sqlite_api.call("GET", "/openapi.json")).status == 200
