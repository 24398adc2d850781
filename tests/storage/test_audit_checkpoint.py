"""A checkpoint of the chain's head tells a cut tail from a rewritten one, and refuses a file
that is not a checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.audit_chain import GENESIS, AuditRow, chain_hash
from storage.audit_checkpoint import checkpoint_of, read_checkpoint, tail_problem


def chain(*actors: str) -> list[AuditRow]:
    rows, prev = [], GENESIS
    for seq, actor in enumerate(actors, start=1):
        record = {"actor": actor, "at": f"2026-11-02T09:0{seq}:00+00:00"}
        rows.append(AuditRow(seq, prev, chain_hash(prev, record), record))
        prev = rows[-1].hash
    return rows


def test_the_checkpoint_file_round_trips_and_the_intact_chain_holds_it() -> None:
    rows = chain("a", "b", "c")
    checkpoint = checkpoint_of(rows[-1], datetime(2026, 11, 2, 10, tzinfo=UTC))

    assert read_checkpoint(checkpoint.to_json()) == checkpoint
    assert tail_problem(checkpoint, rows[-1], rows[2]) is None
    assert tail_problem(checkpoint, chain("a", "b", "c", "d")[-1], rows[2]) is None


def test_a_cut_tail_names_the_missing_range_and_a_rewritten_one_its_hash() -> None:
    rows = chain("a", "b", "c", "d")
    checkpoint = checkpoint_of(rows[-1], datetime(2026, 11, 2, 10, tzinfo=UTC))
    rewritten = chain("a", "b", "x", "d")

    cut = tail_problem(checkpoint, rows[1], None)
    emptied = tail_problem(checkpoint, None, None)
    forged = tail_problem(checkpoint, rewritten[-1], rewritten[-1])

    assert cut is not None and cut.startswith("audit log truncated: seq 3 to 4 missing "
                                              "(the log ends at seq 2;")
    assert emptied is not None and emptied.startswith("audit log truncated: seq 1 to 4 missing")
    assert forged == (f"audit log rewritten: seq 4 has hash {rewritten[-1].hash[:12]}…, the "
                      f"checkpoint has {checkpoint.describe()}")


@pytest.mark.parametrize(("text", "problem"), [
    ("not json", "is not JSON"), ("[]", "must be a JSON object"),
    ('{"seq": 0, "hash": "' + "a" * 64 + '"}', "no valid seq"),
    ('{"seq": true, "hash": "' + "a" * 64 + '"}', "no valid seq"),
    ('{"seq": 3, "hash": "abc"}', "no valid hash"),
])
def test_a_file_that_is_not_a_checkpoint_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        read_checkpoint(text)
