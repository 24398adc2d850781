"""Operators' endpoints: audit export and verify, readiness, and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.api import create_api, mount_api
from storage.audit_chain import AuditRow, verify_rows
from storage.migrate import upgrade
from storage.sql.engines import open_engines
from storage.sql.uow import SqlUnitOfWorkFactory
from tests.api.harness import (
    N1,
    N2,
    POLICY,
    REQ,
    ApiWorld,
    change_body,
    engine_over,
    running_api,
    sql_dependencies,
)
from tests.support.clock import TestClock
from tests.support.databases import SQL_BACKENDS, sqlite_url, tamper_audit
from workflow.policy import parse_policy


async def test_audit_export_pages_and_filters_and_re_verifies(api: ApiWorld) -> None:
    first = await api.propose()
    api.clock.advance(hours=1)
    second = await api.propose()
    await api.call("POST", f"/changes/{second['id']}/review", N1,
                   body=await api.bound(second['id'], {"approved": True}))

    rows: list[AuditRow] = []
    cursor = None
    while True:
        page = await api.call("GET", "/audit?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                              REQ)
        rows += [AuditRow(e["seq"], e["prev_hash"], e["hash"], e["record"])
                 for e in page.body["events"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert verify_rows(rows).ok  # an export can be re-verified elsewhere

    one = await api.call("GET", f"/audit?change={first['id']}", REQ)
    assert {e["record"]["change_id"] for e in one.body["events"]} == {first["id"]}
    since = (api.clock.now()).isoformat()
    later = await api.call("GET", f"/audit?since={since.replace('+', '%2B')}", REQ)
    assert {e["record"]["change_id"] for e in later.body["events"]} == {second["id"]}
    naive = await api.call("GET", "/audit?since=2026-11-02T09:00:00", REQ)
    assert (naive.status, naive.body["field"]) == (400, "since")


async def test_audit_verify_passes_and_names_a_tampered_row(tmp_path: Path) -> None:
    async with running_api("sqlite", tmp_path) as api:
        change = await api.propose()
        await api.call("POST", f"/changes/{change['id']}/review", N1,
                       body=await api.bound(change['id'], {"approved": True}))

        good = await api.call("GET", "/audit/verify", REQ)
        assert good.body["ok"] is True
        assert good.body["rows"] == 4
        assert good.body["head"] == (await api.deps.reads.head()).hash  # type: ignore[union-attr]

        assert api.db is not None
        await tamper_audit(api.db, 2, "UMALLORY")
        bad = await api.call("GET", "/audit/verify", REQ)
        assert (bad.body["ok"], bad.body["bad_seq"]) == (False, 2)
        assert bad.body["problem"] == "content does not match its hash"


async def test_readyz_reports_ready_on_a_migrated_database(api: ApiWorld) -> None:
    answer = await api.call("GET", "/readyz")

    assert answer.status == 200
    assert answer.body["status"] == "ready"


async def test_readyz_is_503_naming_the_revision_when_not_migrated(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    await upgrade(url, "0001")
    db = open_engines(url)
    clock = TestClock()
    engine, people = engine_over(SqlUnitOfWorkFactory(db), clock,
                                 parse_policy(POLICY, "api-test.yaml"), None)
    app = web.Application()
    mount_api(app, create_api(sql_dependencies(db, engine, people, clock)))
    try:
        async with TestClient(TestServer(app)) as client, client.get("/api/v1/readyz") as r:
            assert r.status == 503
            body = await r.json()
            assert body["reason"] == "not_ready"
            assert "at migration 0001" in body["detail"]
            assert "changegate db upgrade" in body["detail"]
            assert r.headers["Retry-After"] == "5"
    finally:
        await db.dispose()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.parametrize("kind", ["memory", *SQL_BACKENDS])
async def test_metrics_parse_and_count_states_durations_refusals(kind: str,
                                                                 tmp_path: Path) -> None:
    async with running_api(kind, tmp_path) as api:
        change = await api.propose()
        await api.propose(risk="medium")
        await api.call("POST", f"/changes/{change['id']}/review", REQ,
                       body=await api.bound(change['id'], {"approved": True}))
        api.clock.advance(minutes=10)
        for person in (N1, N2):
            await api.call("POST", f"/changes/{change['id']}/review", person,
                           body=await api.bound(change['id'], {"approved": True}))
        await api.call("POST", "/changes", REQ, body=change_body(title=""))
        api.deps.metrics.count_slack_error("chat.update", 'message "not" found')

        answer = await api.call("GET", "/metrics", REQ)

        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        values = samples(answer.body)
        assert values[("changegate_changes", (("state", "approved"),))] == 1
        assert values[("changegate_changes", (("state", "pending_review"),))] == 1
        assert values[("changegate_changes", (("state", "applied"),))] == 0
        assert values[("changegate_time_to_approve_seconds_count", ())] == 1
        assert values[("changegate_time_to_approve_seconds_sum", ())] == 600
        assert values[("changegate_time_to_approve_seconds_bucket", (("le", "900.0"),))] == 1
        assert values[("changegate_time_to_approve_seconds_bucket", (("le", "300.0"),))] == 0
        assert values[("changegate_refusals_total", (("reason", "self_approval"),))] == 1
        assert values[("changegate_api_problems_total",
                       (("reason", "self_approval"), ("status", "409")))] == 1
        assert values[("changegate_api_problems_total",
                       (("reason", "invalid_input"), ("status", "400")))] == 1
        assert values[("changegate_slack_api_errors_total",
                       (("error", 'message "not" found'), ("method", "chat.update")))] == 1
        assert values[("changegate_outbox_backlog", ())] > 0
        assert values[("changegate_outbox_dead_letters", ())] == 0

        again = samples((await api.call("GET", "/metrics", REQ)).body)
        assert again[("changegate_refusals_total", (("reason", "self_approval"),))] == 1
