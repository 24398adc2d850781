"""`changegate serve` reloads its policy file on SIGHUP, without a restart: a valid file is in
force at once, an invalid one is refused (logged with its key path) and the old one keeps
serving."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.served import EXAMPLE_POLICY, clean_environment, start_cli
from workflow.policy import load_policy

TIMEOUT_S = 30.0


async def get(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def logged(process: asyncio.subprocess.Process, wanted: str) -> str:
    """The next stderr line containing `wanted`."""
    assert process.stderr is not None
    while True:
        line = (await asyncio.wait_for(process.stderr.readline(), TIMEOUT_S)).decode()
        assert line, f"serve closed stderr before logging {wanted!r}"
        if wanted in line:
            return line


async def test_sighup_reloads_a_valid_file_and_keeps_serving_the_old_one_on_a_broken_file(
        tmp_path: Path) -> None:
    policy = tmp_path / "changegate.yaml"
    shutil.copyfile(EXAMPLE_POLICY, policy)
    first = load_policy(policy).version
    env = clean_environment(CHANGEGATE_HOST="127.0.0.1", CHANGEGATE_PORT="0",
                            CHANGEGATE_POLICY_WATCH_SECONDS="0")  # only the signal reloads
    process = await start_cli("serve", "--policy", str(policy), env=env)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), TIMEOUT_S)).decode()
        url = line.split("listening on ", 1)[1].split(" ", 1)[0]
        assert (await get(f"{url}/healthz"))["policy_version"] == first

        policy.write_text(EXAMPLE_POLICY.read_text() + "\nsurprise: 1\n", encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        refused = await logged(process, "policy reload refused")
        assert "surprise" in refused and first[:12] in refused
        assert (await get(f"{url}/healthz"))["policy_version"] == first

        policy.write_text(EXAMPLE_POLICY.read_text() + "\n# edited\n", encoding="utf-8")
        second = load_policy(policy).version
        process.send_signal(signal.SIGHUP)
        assert f"{first[:12]} -> {second[:12]}" in await logged(process, "policy reloaded")
        assert (await get(f"{url}/healthz"))["policy_version"] == second
        assert (await get(f"{url}/api/v1/readyz"))["policy_version"] == second

        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), TIMEOUT_S)
        assert process.returncode == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
