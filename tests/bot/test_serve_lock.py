"""A second `changegate serve` on the SQLite file another one serves refuses to start, naming the
file and the process, and leaves the first one's running apply alone (as processes, for real)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.executors.programs import device, ledger_keys
from tests.support.served import EXAMPLE_POLICY, finish, serving, start_cli

STARTED_S = 30.0


def with_device(source: Path, argv: list[str]) -> Path:
    """The example policy with bgp changes run by the device program."""
    executors = {"device": {"kind": "command", "argv": argv, "timeout": "5m"}}
    source.write_text(EXAMPLE_POLICY.read_text() + f"executors: {json.dumps(executors)}\n"
                      + "families: {\"bgp\": {\"executor\": \"device\"}}\n")
    return source


async def call(session: aiohttp.ClientSession, method: str, url: str, token: str,
               body: dict[str, Any]) -> dict[str, Any]:
    async with session.request(method, url, json=body,
                               headers={"Authorization": f"Bearer {token}"}) as response:
        answer: dict[str, Any] = await response.json()
        assert response.status in (200, 201), answer
        return answer


def applying(ledger: Path) -> None:
    """Until the device program has started the apply (bounded)."""
    deadline = time.monotonic() + STARTED_S
    while not ledger_keys(ledger):
        assert time.monotonic() < deadline, "the apply never started"
        time.sleep(0.02)


async def test_a_second_serve_of_one_sqlite_file_refuses_and_leaves_the_apply_running(
        tmp_path: Path) -> None:
    argv, ledger = device(tmp_path)
    (tmp_path / "behaviour").write_text("wait")  # the apply runs until the file `go` appears
    with serving(tmp_path, with_device(tmp_path / "source.yaml", argv)) as served:
        token = served.token("U0PIPE1", name="pipeline")
        api = f"{served.url}/api/v1"
        async with aiohttp.ClientSession() as session:
            change = await call(session, "POST", f"{api}/changes", token, {
                "title": "Peer with AS65001", "family": "bgp", "action": "add",
                "target": "edge-1", "risk": "low", "payload": "neighbor 192.0.2.1"})
            cid = change["id"]
            await call(session, "POST", f"{api}/changes/{cid}/dry-run", token, {})
            await call(session, "POST", f"{api}/changes/{cid}/submit", token, {})
            apply = asyncio.create_task(
                call(session, "POST", f"{api}/changes/{cid}/apply", token, {}))
            await asyncio.to_thread(applying, ledger)

            second = await finish(await start_cli("serve", "--sandbox", *served.operator_args(),
                                                  env={**served.env, "CHANGEGATE_PORT": "0"}))
            running = await call(session, "GET", f"{api}/changes/{cid}", token, {})
            (tmp_path / "go").write_text("")
            applied = await asyncio.wait_for(apply, STARTED_S)

    assert second.code == 1 and second.out == ""
    assert second.err == (
        f"changegate: database {served.database} is already served by process {served.pid} "
        f"(it holds {served.database}.serve-lock): SQLite means one process; stop that one "
        "first, or use PostgreSQL to run several replicas\n")
    assert running["state"] == "executing"  # not taken for interrupted by the second
    assert applied["state"] == "applied"
