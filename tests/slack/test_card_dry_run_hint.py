"""A card without a dry-run says what actually gets it one under the change's workflow: its
executor, reported output, or either (issue 27)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.card_parts import dry_run_text
from tests.support.builders import T0, content, one_stage, pending
from workflow.commands import Create
from workflow.decide import decide
from workflow.model import ChangeRequest, DryRunRule, Metadata, WorkflowSnapshot

RUN = "press *Run dry-run* (or `changegate dry-run CHG-1`)"
REPORT = "report the output (`changegate dry-run CHG-1 --file out.txt`, or the API)"


def under(workflow: WorkflowSnapshot) -> ChangeRequest:
    return pending(workflow, dry_run=None)


def bound(kind: str | None, rule: DryRunRule, executor: str | None = "demo") -> WorkflowSnapshot:
    return replace(one_stage(), executor=executor, executor_kind=kind, dry_run=rule)


@pytest.mark.parametrize(("workflow", "hint"), [
    (bound("command", DryRunRule.EXECUTOR), f"{RUN}: only its executor demo may produce it"),
    (bound("webhook", DryRunRule.EITHER), f"{RUN}, or {REPORT}"),
    (bound("command", DryRunRule.REPORTED), f"{REPORT}; its workflow takes no executor's dry-run"),
    (bound("external", DryRunRule.EITHER), f"{REPORT}; no executor is bound to its family"),
    (bound(None, DryRunRule.EITHER, executor=None),
     f"{REPORT}; no executor is bound to its family"),
    (bound(None, DryRunRule.EXECUTOR, executor=None),
     "its workflow takes only an executor's dry-run and none is bound to it: edit it into a "
     "new revision once the policy binds one"),
])
def test_the_hint_names_what_the_workflow_accepts(workflow: WorkflowSnapshot, hint: str) -> None:
    text = dry_run_text(under(workflow), CardContext(now=T0))

    assert text == f":warning: *No dry-run yet.* Approvals need one: {hint}."


def test_a_drafts_hint_offers_both_with_when_each_works() -> None:
    draft = decide(None, Create("CHG-1", "req", content(), Metadata("t")), T0).change

    text = dry_run_text(draft, CardContext(now=T0))

    assert text == (f":warning: *No dry-run yet.* Approvals need one: {RUN} if an executor is "
                    f"bound to its family, else {REPORT}.")
