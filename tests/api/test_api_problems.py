"""Every error is RFC 9457 problem details: the field of bad input, the reason of a refusal."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.api.problems import PROBLEM_JSON, from_http, refusal
from bot.executors.errors import DryRunFailed as ExecutorDryRunFailed
from tests.api.harness import C1, CON, N1, N2, OUTPUT, REQ, ApiWorld, X, change_body, running_api
from tests.support.executor import ScriptedExecutor
from workflow import errors
from workflow.errors import Busy, DryRunFailed, InvalidInput, WorkflowError


def every_refusal() -> list[type[WorkflowError]]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, WorkflowError)]


@pytest.mark.parametrize("cls", every_refusal(), ids=lambda c: c.__name__)
def test_every_engine_refusal_maps_to_a_client_error_with_its_reason(
    cls: type[WorkflowError],
) -> None:
    error = cls("field", "bad") if cls is InvalidInput else cls("refused for a reason")

    problem = refusal(error)
    body = problem.body("/api/v1/changes/CHG-1")

    assert 400 <= problem.status < 500 or (cls, problem.status) in ((Busy, 503),
                                                                    (DryRunFailed, 502))
    assert body["reason"] == cls.reason
    assert body["detail"] == error.message
    assert body["type"] == f"urn:changegate:problem:{cls.reason}"
    if problem.status == 503:
        assert problem.headers["Retry-After"]


async def refused(api: ApiWorld, method: str, path: str, user: str, body: Any = None
                  ) -> tuple[int, str | None]:
    answer = await api.call(method, path, user, body=body)
    assert answer.media == PROBLEM_JSON
    assert answer.body["status"] == answer.status
    assert answer.body["instance"] == f"/api/v1{path}"
    return answer.status, answer.reason


async def test_refusals_of_the_engine_are_409_with_its_message(sqlite_api: ApiWorld) -> None:
    api = sqlite_api
    high = (await api.propose())["id"]
    critical = (await api.propose(risk="critical"))["id"]
    undry = (await api.call("POST", "/changes", REQ, body=change_body(submit=True))).body["id"]
    draft = (await api.call("POST", "/changes", REQ, body=change_body())).body["id"]
    await api.call("POST", f"/changes/{high}/review", N1,
                   body=await api.bound(high, {"approved": True}))
    expectations = [
        ("POST", f"/changes/{high}/submit", REQ, None, "wrong_state"),
        ("POST", f"/changes/{high}/review", REQ, await api.bound(high, {"approved": True}),
         "self_approval"),
        ("POST", f"/changes/{high}/review", X, await api.bound(high, {"approved": True}),
         "not_eligible"),
        ("POST", f"/changes/{critical}/review", C1, await api.bound(critical, {"approved": True}),
         "stage_not_open"),
        ("POST", f"/changes/{high}/review", N1, await api.bound(high, {"approved": True}),
         "already_responded"),
        ("POST", f"/changes/{undry}/review", N1, await api.bound(undry, {"approved": True}),
         "no_dry_run"),
        ("POST", f"/changes/{draft}/submit", N1, None, "not_requester"),
        ("POST", f"/changes/{high}/withdraw", N2, None, "nothing_to_withdraw"),
        ("POST", f"/changes/{high}/dry-run", X, {"output": "mine"}, "not_permitted"),
        ("POST", f"/changes/{high}/dry-run", REQ, None, "no_executor"),
        ("POST", "/changes", CON, change_body(family="core-router", action="reload"),
         "denied_by_policy"),
        ("POST", "/changes", REQ, change_body("low", family="firewall"), "no_workflow"),
    ]
    for method, path, user, body, reason in expectations:
        assert await refused(api, method, path, user, body) == (409, reason), reason
    api.clock.advance(minutes=31)
    assert await refused(api, "POST", f"/changes/{high}/review", N2,
                         await api.bound(high, {"approved": True})) == (409, "stale_dry_run")
    assert await api.change_count() == 4  # refused proposals created nothing


async def test_not_found_and_wrong_methods(sqlite_api: ApiWorld) -> None:
    api = sqlite_api
    assert await refused(api, "GET", "/changes/CHG-404", REQ) == (404, "not_found")
    assert await refused(api, "POST", "/changes/CHG-404/submit", REQ) == (404, "not_found")
    assert await refused(api, "GET", "/changes/DROP%20TABLE", REQ) == (404, "not_found")
    assert await refused(api, "GET", "/nowhere", REQ) == (404, "not_found")
    answer = await api.call("DELETE", "/changes", REQ)
    assert (answer.status, answer.reason) == (405, "method_not_allowed")
    assert "GET" in answer.headers["Allow"]


@pytest.mark.parametrize(("body", "field"), [
    (change_body(colour="red"), "colour"),
    (change_body(title=42), "title"),
    (change_body(title="   "), "title"),
    (change_body(risk="extreme"), "risk"),
    (change_body(scheduled_for="2026-12-01T22:00:00"), "scheduled_for"),
    (change_body(scheduled_for="tomorrow"), "scheduled_for"),
    (change_body(scheduled_for="9999-12-31T23:59:59-12:00"), "scheduled_for"),
    (change_body(labels="env=prod"), "labels"),
    (change_body(labels=["ok", ""]), "labels[1]"),
    (change_body(labels=["x"] * 21), "labels"),
    (change_body(submit="yes"), "submit"),
    (change_body(dry_run={"output": 1}), "dry_run.output"),
    (change_body(dry_run={"output": "x", "by": "me"}), "dry_run.by"),
    (change_body(dry_run="x"), "dry_run"),
    (change_body(target="a\x00b"), "target"),
    (change_body(payload="x" * 200_001), "payload"),
    ({k: v for k, v in change_body().items() if k != "family"}, "family"),
    ([change_body()], "body"),
])
async def test_bad_input_is_400_naming_the_field(sqlite_api: ApiWorld, body: Any,
                                                 field: str) -> None:
    answer = await sqlite_api.call("POST", "/changes", REQ, body=body)

    assert (answer.status, answer.reason, answer.body["field"]) == (400, "invalid_input", field)
    assert answer.body["detail"].startswith(f"{field}: ")
    assert await sqlite_api.change_count() == 0


@pytest.mark.parametrize(("raw", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b'{"title": NaN}', "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b"[" * 100_000, "application/json", 400),
    (b"title=x", "application/x-www-form-urlencoded", 415),
    (b"{}", "text/plain", 415),
    (b"", "application/json", 400),
])
async def test_bodies_that_are_not_a_json_object(sqlite_api: ApiWorld, raw: bytes,
                                                 content_type: str, status: int) -> None:
    answer = await sqlite_api.call("POST", "/changes", REQ, raw=raw,
                                   headers={"Content-Type": content_type})

    assert answer.status == status
    assert answer.reason == ("invalid_input" if status == 400 else "unsupported_media_type")


async def test_bodies_over_the_limit_are_413(sqlite_api: ApiWorld) -> None:
    huge = change_body(dry_run={"output": "x" * (2 * 1024 * 1024)})

    declared = await sqlite_api.call("POST", "/changes", REQ, body=huge)

    assert (declared.status, declared.reason) == (413, "body_too_large")

    async def streamed() -> Any:
        for _ in range(40):
            yield b" " * 65536

    async with sqlite_api.client.post(
        "/api/v1/changes", data=streamed(),
        headers={"Authorization": f"Bearer {sqlite_api.tokens[REQ]}",
                 "Content-Type": "application/json"},
    ) as response:
        assert response.status == 413
        assert response.content_type == PROBLEM_JSON
    assert await sqlite_api.change_count() == 0


async def test_field_limits_just_within_are_accepted(sqlite_api: ApiWorld) -> None:
    body = change_body(title="t" * 200, payload="p" * 200_000, labels=["l" * 100] * 20,
                       dry_run={"output": "o" * 1_000_000})

    answer = await sqlite_api.call("POST", "/changes", REQ, body=body)

    assert answer.status == 201


async def test_an_idempotency_key_with_spaces_is_refused(sqlite_api: ApiWorld) -> None:
    answer = await sqlite_api.call("POST", "/changes", REQ, body=change_body(),
                                   headers={"Idempotency-Key": "a key"})

    assert (answer.status, answer.body["field"]) == (400, "Idempotency-Key")


async def test_an_unknown_apply_key_is_not_expected(sqlite_api: ApiWorld) -> None:
    api = sqlite_api
    cid = (await api.propose())["id"]
    for person in (N1, N2):
        await api.call("POST", f"/changes/{cid}/review", person,
                       body=await api.bound(cid, {"approved": True}))
    await api.call("POST", f"/changes/{cid}/apply", REQ)

    answer = await api.call("POST", f"/changes/{cid}/result", REQ,
                            body={"status": "applied", "key": f"{cid}:9:abc"})

    assert (answer.status, answer.body["reason"]) == (409, "result_not_expected")
    assert f"{cid}:9:abc" in answer.body["detail"]


async def test_a_changed_digest_at_apply_time_is_409(tmp_path: Path) -> None:
    executor = ScriptedExecutor(dry_run_output=OUTPUT)
    async with running_api("sqlite", tmp_path, executor=executor) as api:
        cid = (await api.propose())["id"]
        for person in (N1, N2):
            await api.call("POST", f"/changes/{cid}/review", person,
                           body=await api.bound(cid, {"approved": True}))
        api.clock.advance(minutes=31)
        executor.dry_run_output = "+ something else entirely"

        answer = await api.call("POST", f"/changes/{cid}/apply", REQ)

        assert (answer.status, answer.reason) == (409, "digest_changed")
        assert "approvals were invalidated" in answer.body["detail"]


async def test_a_failing_executor_is_502_and_records_nothing(tmp_path: Path) -> None:
    class Failing(ScriptedExecutor):
        async def dry_run(self, change: Any) -> str:
            raise ExecutorDryRunFailed("exit status 2: syntax error on line 3")

    async with running_api("sqlite", tmp_path, executor=Failing()) as api:
        cid = (await api.call("POST", "/changes", REQ, body=change_body())).body["id"]

        answer = await api.call("POST", f"/changes/{cid}/dry-run", REQ)

        assert (answer.status, answer.reason) == (502, "dry_run_failed")
        assert "syntax error on line 3" in answer.body["detail"]
        assert (await api.call("GET", f"/changes/{cid}", REQ)).body["dry_run"] is None


async def test_an_unexpected_error_is_a_logged_500_problem(sqlite_api: ApiWorld) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    sqlite_api.deps.reads.history = broken  # type: ignore[method-assign,assignment]
    cid = (await sqlite_api.propose())["id"]

    answer = await sqlite_api.call("GET", f"/changes/{cid}/history", REQ)

    assert (answer.status, answer.reason) == (500, "internal_error")
    assert "a bug" not in answer.body["detail"]


def test_http_errors_keep_their_status() -> None:
    problem = from_http(web.HTTPRequestTimeout(), "/api/v1/changes")

    assert (problem.status, problem.reason) == (408, "request_timeout")
