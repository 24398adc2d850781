"""The API is mounted by the bot's own server: in-process, and in a `changegate serve` process."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bench.processes import clean_env, start
from bot.composition import open_runtime
from bot.server import create_app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = ROOT / "examples" / "changegate.yaml"
STARTUP_TIMEOUT = 30.0
CHANGE = {"title": "Peer with AS65001", "family": "bgp", "action": "add", "target": "edge-1",
          "risk": "high", "payload": "neighbor 192.0.2.1 remote-as 65001",
          "dry_run": {"output": "+ neighbor 192.0.2.1"}, "submit": True}


@pytest.mark.parametrize("memory", [True, False], ids=["memory", "sqlite"])
async def test_the_bots_application_serves_the_api(tmp_path: Path, memory: bool) -> None:
    settings = Settings(EXAMPLE_POLICY, f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}")
    runtime = await open_runtime(settings, memory=memory)
    try:
        app = create_app("v1", runtime)
        async with TestClient(TestServer(app)) as client:
            for path, status in (("/healthz", 200), ("/api/v1/readyz", 200),
                                 ("/api/v1/openapi.json", 200), ("/api/v1/changes", 401)):
                async with client.get(path) as response:
                    assert response.status == status, path
    finally:
        await runtime.close()


async def bearer(user: str, name: str, scopes: str, policy: Path, env: dict[str, str]) -> str:
    """`changegate token create` as a process; stdout is the bearer value alone."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "token", "create", "--user", user, "--name", name,
        "--scopes", scopes, "--policy", str(policy), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)
    assert process.returncode == 0, err.decode()
    return out.decode().strip()


async def test_a_pipeline_talks_to_changegate_serve(tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    shutil.copyfile(EXAMPLE_POLICY, policy)
    env = clean_env(CHANGEGATE_HOST="127.0.0.1", CHANGEGATE_PORT="0",
                    CHANGEGATE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cg.db'}")
    pipeline = await bearer("U0PIPE1", "pipeline", "read,submit,apply", policy, env)
    seniors = [await bearer(u, u.lower(), "review", policy, env) for u in ("U01AAA", "U01BBB")]
    log = tmp_path / "serve.log"
    server = await start(["-m", "bot.cli", "serve", "--sandbox", "--policy", str(policy)], env, log,
                         STARTUP_TIMEOUT)
    try:
        assert server.url.startswith("http://127.0.0.1:"), server.url
        api = f"{server.url}/api/v1"
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{api}/changes", json=CHANGE,
                                    headers={"Authorization": f"Bearer {pipeline}"}) as r:
                assert r.status == 201, await r.text()
                created = await r.json()
                cid = created["id"]
            for token in seniors:
                shown = {"approved": True, "revision": created["revision"],
                         "digest": created["dry_run"]["digest"]}
                async with session.post(f"{api}/changes/{cid}/review", json=shown,
                                        headers={"Authorization": f"Bearer {token}"}) as r:
                    assert r.status == 200, await r.text()
            async with session.get(f"{api}/changes/{cid}/wait?timeout=5",
                                   headers={"Authorization": f"Bearer {pipeline}"}) as r:
                body = await r.json()
                assert (body["reached"], body["change"]["state"]) == (True, "approved")
        assert await server.stop() == 0, log.read_text()
    finally:
        await server.kill()
