"""The key `metadata_edits`: read from `defaults` or a workflow, validated like the other
choices, and copied into the change's snapshot so a reload never alters it."""

from __future__ import annotations

import pytest

from tests.unit.test_policy import change, data, errors_of, flow, parse, stage
from workflow.codec import workflow_from_dict, workflow_to_dict
from workflow.model import Metadata, MetadataEdits


def chosen(doc: dict[str, object]) -> MetadataEdits:
    snapshot = parse(doc).select(change(), Metadata("t"), frozenset())
    assert workflow_from_dict(workflow_to_dict(snapshot)).timing == snapshot.timing
    return snapshot.timing.metadata_edits


@pytest.mark.parametrize(("defaults", "workflow", "expected"), [
    (None, None, MetadataEdits.RESET), ("keep", None, MetadataEdits.KEEP),
    ("keep", "reset", MetadataEdits.RESET), (None, "keep", MetadataEdits.KEEP),
])
def test_a_workflow_keeps_or_resets_as_it_or_the_defaults_say(
    defaults: str | None, workflow: str | None, expected: MetadataEdits
) -> None:
    doc = flow(stage(("seniors", 1)), **({"metadata_edits": workflow} if workflow else {}))
    if defaults:
        doc["defaults"] = {"metadata_edits": defaults}

    assert chosen(doc) is expected


def test_another_word_is_refused_naming_the_key() -> None:
    assert errors_of(data(defaults={"metadata_edits": "sometimes"})) == [
        "test.yaml: defaults.metadata_edits: the text 'sometimes' is not allowed; use one of: "
        "reset, keep"]
    assert errors_of(flow(stage(("seniors", 1)), metadata_edits=True)) == [
        "test.yaml: workflows[0].metadata_edits: true (a yes/no value) is not allowed; use one "
        "of: reset, keep"]


def test_a_change_stored_before_the_key_resets() -> None:
    snapshot = parse(flow(stage(("seniors", 1)), metadata_edits="keep")).select(
        change(), Metadata("t"), frozenset())
    stored = workflow_to_dict(snapshot)
    del stored["timing"]["metadata_edits"]

    assert workflow_from_dict(stored).timing.metadata_edits is MetadataEdits.RESET
