"""What docs/api.md and docs/executors.md say the API answers and accepts is what it does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.api.bodies import OUTCOMES, RESULT
from storage.migrate import head_revision
from tests.api.harness import ApiWorld

DOCS = Path(__file__).resolve().parents[2] / "docs"
READYZ = re.compile(r"`GET /api/v1/readyz` \(no token\) answers `200 (\{[^`]*\})`")


def documented_readyz() -> dict[str, Any]:
    """The ready answer docs/api.md shows."""
    found = READYZ.search((DOCS / "api.md").read_text(encoding="utf-8"))
    assert found, "docs/api.md no longer shows the /readyz answer"
    answer: dict[str, Any] = json.loads(found.group(1))
    return answer


def documented_result_members() -> dict[str, list[str]]:
    """The member table of `POST …/result` in docs/executors.md: each member's cells."""
    text = (DOCS / "executors.md").read_text(encoding="utf-8")
    section = text[text.index("## external"):]
    table = section[section.index("| member | required | meaning |"):].split("\n\n")[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in table.splitlines()[2:]]
    return {row[0].strip("`"): row[1:] for row in rows}


async def test_the_documented_readyz_answer_is_the_served_one(sqlite_api: ApiWorld) -> None:
    answer = await sqlite_api.call("GET", "/readyz")

    assert answer.status == 200
    documented = documented_readyz()
    assert set(documented) == set(answer.body) == {"status", "schema", "policy_version"}
    assert documented["status"] == answer.body["status"] == "ready"
    assert documented["schema"] == answer.body["schema"] == head_revision()
    assert answer.body["policy_version"] == sqlite_api.deps.policy.version  # type: ignore[union-attr]


def test_the_documented_result_members_are_the_accepted_ones() -> None:
    members = documented_result_members()

    assert list(members) == [f.name for f in RESULT]
    assert {name for name, (required, _) in members.items() if required == "yes"} == {
        f.name for f in RESULT if f.required}
    assert re.findall(r"`(\w+)`", members["status"][1]) == list(OUTCOMES)
    output = next(f for f in RESULT if f.name == "output")
    assert f"up to {output.max_length:,} characters".replace(",", " ") in members["output"][1]
