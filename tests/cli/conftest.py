"""Fixtures of the CLI tests: a live `changegate serve` with a pipeline's and two reviewers'
tokens, and a change file a pipeline would write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.served import Served, serving

PIPELINE, SENIOR_1, SENIOR_2 = "U0PIPE1", "U01AAA", "U01BBB"
CHANGE = {"title": "Add BGP session to AS65001", "family": "bgp", "action": "add",
          "target": "edge-1", "risk": "high", "payload": "neighbor 192.0.2.1 remote-as 65001",
          "rollback_plan": "no neighbor 192.0.2.1", "labels": ["env=prod"]}
PLAN = "+ neighbor 192.0.2.1 remote-as 65001\n"


@dataclass
class Live:
    """The server and the bearer values of the people using it."""

    served: Served
    tokens: dict[str, str]

    def env(self, user: str = PIPELINE) -> dict[str, str]:
        """A pipeline's environment acting as `user`."""
        return self.served.client_env(self.tokens[user])

    async def call(self, user: str, method: str, path: str, body: Any = None
                   ) -> tuple[int, dict[str, Any]]:
        """One API request as `user`, the way a reviewer's own tool would send it."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        async with aiohttp.ClientSession() as session, session.request(
                method, f"{self.served.url}/api/v1{path}", json=body, headers=headers) as answer:
            return answer.status, await answer.json(content_type=None)

    async def review(self, user: str, change_id: str, approved: bool = True,
                     comment: str = "") -> dict[str, Any]:
        _, read = await self.call(user, "GET", f"/changes/{change_id}")
        digest = f"sha256:{read['dry_run']['digest']}" if read["dry_run"] else "none"
        status, body = await self.call(user, "POST", f"/changes/{change_id}/review",
                                       {"approved": approved, "comment": comment,
                                        "revision": read["revision"], "digest": digest})
        assert status == 200, body
        return body

    async def propose(self, **fields: Any) -> str:
        """A submitted change with its dry-run, proposed by the pipeline through the API."""
        status, body = await self.call(PIPELINE, "POST", "/changes", {
            **CHANGE, "dry_run": {"output": PLAN}, "submit": True, **fields})
        assert status == 201, body
        return str(body["id"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """`changegate serve` with the example policy, shared by a module's tests (each makes its
    own changes); tokens made with `changegate token create`."""
    with serving(tmp_path_factory.mktemp("served")) as served:
        tokens = {PIPELINE: served.token(PIPELINE, "read,submit,apply", "pipeline")}
        for senior in (SENIOR_1, SENIOR_2):
            tokens[senior] = served.token(senior, "read,review")
        yield Live(served, tokens)


@pytest.fixture
def change_files(tmp_path: Path) -> tuple[Path, Path]:
    """change.json and the dry-run output a pipeline produced."""
    change, plan = tmp_path / "change.json", tmp_path / "plan.txt"
    change.write_text(json.dumps(CHANGE), encoding="utf-8")
    plan.write_text(PLAN, encoding="utf-8")
    return change, plan
