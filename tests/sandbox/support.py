"""Serving the sandbox in a test, and talking to its page's endpoints as the page does."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox.guard import TOKEN_HEADER
from bot.sandbox.serve import RunningSandbox, running_sandbox
from bot.settings import Settings
from storage.database import create_database
from tests.support.pacing_clock import (
    PacingClock,
    keeping_limits,
    paced_by,
)
from workflow.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
REQUESTER, SENIOR1, SENIOR2, SENIOR3 = "U0RITA", "U0SAM", "U0SUE", "U0SID"
CHANNEL = "C0CHANGES"
PROPOSAL = {"title": {"value": "Peer with AS65001 on edge-1"}, "family": {"value": "bgp"},
            "action": {"value": "add"}, "target": {"value": "edge-1"},
            "risk": {"value": "high"},
            "payload": {"value": "neighbor 192.0.2.1 remote-as 65001"},
            "rollback_plan": {"value": "no neighbor 192.0.2.1"}}


def copy_examples(into: Path) -> Path:
    """The sandbox policy and its users file in a directory of their own; the policy's path."""
    for name in ("sandbox.yaml", "sandbox-users.yaml"):
        shutil.copyfile(EXAMPLES / name, into / name)
    return into / "sandbox.yaml"


@asynccontextmanager
async def serve_sandbox(tmp_path: Path, *, poll_s: float = 25.0, paced: bool = True,
                        port: int = 0) -> AsyncIterator[RunningSandbox]:
    """The sandbox as `changegate serve --sandbox` runs it, on `port` (0: a free one): paced as
    it is, by a PacingClock its fake Slack keeps Slack's limits by too (so no wait takes wall
    time), or unpaced (`paced=False`). Served again on the same tmp_path, it is a restart: the
    example files are copied the first time only, the databases are those of the run before."""
    policy_path = tmp_path / "sandbox.yaml"
    if not policy_path.exists():
        copy_examples(tmp_path)
    settings = Settings.load({"CHANGEGATE_PORT": str(port)}, policy=str(policy_path))
    await create_database(settings.database_url)
    policy = load_policy(policy_path)
    pacing = PacingClock() if paced else None
    async with running_sandbox(settings, policy, policy.version, poll_s=poll_s,
                               **(paced_by(pacing) if pacing else {"pacing_s": 0})) as running:
        if pacing is not None:  # before any call the limits count (auth.test has none)
            keeping_limits(running.workspace.fake, pacing)
        yield running


def page_token(html: str) -> str:
    """The token the page sends with its actions, as its script reads it."""
    found = re.search(r'<meta name="sandbox-token" content="([^"]+)">', html)
    assert found, "the page carries no token"
    return found.group(1)


class PageClient:
    """The page's two endpoints, for tests that need no browser."""

    def __init__(self, sandbox: RunningSandbox, session: aiohttp.ClientSession) -> None:
        self.base = sandbox.page_url
        self.session = session
        self.token = ""

    async def open(self) -> str:
        """Load the page, as a browser does first, and keep its token."""
        async with self.session.get(self.base) as response:
            self.token = page_token(await response.text())
        return self.token

    async def state(self, user: str, after: int = -1) -> dict[str, Any]:
        async with self.session.get(f"{self.base}/state",
                                    params={"as": user, "after": str(after)}) as response:
            assert response.status == 200
            body: dict[str, Any] = await response.json()
            return body

    async def act(self, user: str, **body: Any) -> dict[str, Any]:
        token = self.token or await self.open()
        async with self.session.post(f"{self.base}/act", json={"as": user, **body},
                                     headers={TOKEN_HEADER: token}) as response:
            answer: dict[str, Any] = await response.json()
            return answer
