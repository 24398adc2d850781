"""`submit` and `edit --submit` run the executor's dry-run before the submit, in process over a
scripted API: what each answer of `POST …/dry-run` makes them say and do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pytest

from bot.cli.api_client import Answer, ApiClient, Problem
from bot.cli.pipeline import dry_run_then_submit

DRAFT = {"id": "CHG-7", "state": "draft", "revision": 1, "dry_run": None}


class ScriptedApi:
    """Answers each path with the body given, or raises the Problem given; records calls."""

    def __init__(self, answers: Mapping[str, dict[str, Any] | Problem]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    async def call(self, method: str, path: str, **_: Any) -> Answer:
        self.calls.append((method, path))
        found = self.answers[path]
        if isinstance(found, Problem):
            raise found
        return Answer(200, found, {})


def submitted() -> dict[str, Any]:
    return {**DRAFT, "state": "pending_review", "workflow": {"name": "high"}}


async def test_a_failed_dry_run_is_said_and_the_draft_still_submitted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = ScriptedApi({
        "/changes/CHG-7/dry-run": Problem(502, "dry_run_failed",
                                          "the dry-run of CHG-7 failed: push: exit 3"),
        "/changes/CHG-7/submit": submitted()})

    change = await dry_run_then_submit(cast(ApiClient, api), DRAFT)

    assert change["state"] == "pending_review"
    assert api.calls == [("POST", "/changes/CHG-7/dry-run"), ("POST", "/changes/CHG-7/submit")]
    assert capsys.readouterr().err.splitlines() == [
        "running the dry-run of CHG-7 through its executor…",
        "the dry-run of CHG-7 failed: push: exit 3; CHG-7 has no dry-run yet, and approvals "
        "wait for one: run it again with `changegate dry-run CHG-7`",
        "submitted CHG-7 pending_review, workflow high"]


async def test_a_workflow_taking_reported_output_says_how_to_record_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = ScriptedApi({
        "/changes/CHG-7/dry-run": Problem(409, "dry_run_source", "CHG-7 accepts only …"),
        "/changes/CHG-7/submit": submitted()})

    await dry_run_then_submit(cast(ApiClient, api), DRAFT)

    assert ("CHG-7 has no dry-run yet, and approvals wait for one: record it with `changegate "
            "dry-run CHG-7 --file out.txt` (its workflow takes only reported output, not an "
            "executor's)") in capsys.readouterr().err.splitlines()


async def test_any_other_refusal_ends_the_command_before_the_submit() -> None:
    api = ScriptedApi({"/changes/CHG-7/dry-run": Problem(409, "wrong_state", "CHG-7 is …")})

    with pytest.raises(Problem, match="CHG-7 is …"):
        await dry_run_then_submit(cast(ApiClient, api), DRAFT)
    assert api.calls == [("POST", "/changes/CHG-7/dry-run")]


async def test_a_draft_with_a_dry_run_is_only_submitted() -> None:
    api = ScriptedApi({"/changes/CHG-7/submit": submitted()})

    await dry_run_then_submit(cast(ApiClient, api),
                              {**DRAFT, "dry_run": {"digest": "ab" * 32, "output": "+ x"}})

    assert api.calls == [("POST", "/changes/CHG-7/submit")]
