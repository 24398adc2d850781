"""The sandbox's workspace file keeps what its fake Slack showed, in real SQLite: a fake opened
on it again shows the same messages, threads, ephemerals, modals and Home tabs, and goes on
numbering where the last one stopped; the fake of the tests keeps everything in memory."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.fakeslack.api import Args
from bot.sandbox.fakeslack.responses import respond_to_url
from bot.sandbox.fakeslack.server import METHODS, FakeSlack
from bot.sandbox.fakeslack.state import SlackState
from bot.sandbox.fakeslack.workspace import Workspace
from bot.sandbox.workspace_file import (
    SCHEMA,
    WorkspaceFile,
    WorkspaceFileError,
    workspace_path,
)

CHANNEL, RITA = "C0CHANGES", "U0RITA"
SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "*CHG-1* · Peer"}}]
MODAL = {"type": "modal", "callback_id": "cg_new", "title": {"type": "plain_text", "text": "New"},
         "blocks": SECTION}
HOME = {"type": "home", "blocks": SECTION}
SEPTEMBER_2026 = 1_790_000_000.0  # the fake's epoch: a new file's first ts is one past it


def opened(path: Path, database: str = "db-1",
           now: Callable[[], float] = lambda: SEPTEMBER_2026) -> tuple[FakeSlack, WorkspaceFile]:
    """A fake whose state the file at `path` keeps, for the database named `database`."""
    workspace = Workspace()
    workspace.add_channel(CHANNEL, "changes")
    workspace.add_user(RITA, "rita")
    store = WorkspaceFile.open(path, database, now=now)
    return FakeSlack(workspace, state=SlackState.kept_in(store)), store


def call(fake: FakeSlack, method: str, **args: Any) -> dict[str, Any]:
    answer: dict[str, Any] = METHODS[method](fake.fake, Args(args))
    return answer


def shown(fake: FakeSlack) -> dict[str, Any]:
    """Everything a person could see, as plain data."""
    state = fake.state
    return {
        "channel": [(m.ts, m.text, m.blocks, m.edits, m.posted) for m in fake.messages(CHANNEL)],
        "threads": {m.ts: [(r.ts, r.text) for r in fake.thread(CHANNEL, m.ts)]
                    for m in fake.messages(CHANNEL)},
        "ephemerals": [(e.ts, e.user, e.text, e.via) for e in state.ephemerals],
        "views": {v.id: (v.user, v.view, v.hash, v.root_id, v.closed)
                  for v in state.views.values()},
        "homes": {u: (h.id, h.view, h.hash) for u, h in state.homes.items()},
    }


def a_run(fake: FakeSlack) -> set[str]:
    """What a sandbox run does to its workspace; returns every id and ts it was given (but the
    Home tab's, which is the person's for good, as in Slack)."""
    card = call(fake, "chat.postMessage", channel=CHANNEL, text="CHG-1", blocks=SECTION)["ts"]
    reply = call(fake, "chat.postMessage", channel=CHANNEL, text="approved by Sam",
                 thread_ts=card)["ts"]
    call(fake, "chat.update", channel=CHANNEL, ts=card, text="CHG-1 · 1 of 2", blocks=SECTION)
    gone = call(fake, "chat.postMessage", channel=CHANNEL, text="working…")["ts"]
    url = fake.issue_response_url(CHANNEL, RITA, gone)
    assert respond_to_url(fake.fake, fake.state.response_urls[url.rsplit("/", 1)[1]],
                          {"delete_original": True}) == (200, "ok")
    told = call(fake, "chat.postEphemeral", channel=CHANNEL, user=RITA,
                text="you requested CHG-1")["message_ts"]
    closed = call(fake, "views.open", trigger_id=fake.issue_trigger(RITA),
                  view=json.dumps(MODAL))["view"]["id"]
    fake.close_view(fake.state.views[closed])
    left_open = call(fake, "views.open", trigger_id=fake.issue_trigger(RITA),
                     view=json.dumps(MODAL))["view"]["id"]
    call(fake, "views.update", view_id=left_open, view=json.dumps({**MODAL, "title": {
        "type": "plain_text", "text": "Change submitted"}}))
    call(fake, "views.publish", user_id=RITA, view=json.dumps(HOME))
    handles = {fake.issue_trigger(RITA), fake.issue_response_url(CHANNEL, RITA)}
    return {card, reply, gone, told, closed, left_open, *handles}


async def test_a_restarted_fake_shows_what_it_showed_and_never_repeats_an_id(tmp_path: Path
                                                                            ) -> None:
    path = tmp_path / "sandbox-slack.db"
    fake, store = opened(path)
    issued = a_run(fake)
    before = shown(fake)
    store.close()

    again, store = opened(path)
    try:
        assert shown(again) == before
        assert [m.text for m in again.messages(CHANNEL)] == ["CHG-1 · 1 of 2"]
        assert [m.text for m in again.thread(CHANNEL, before["channel"][0][0])] == [
            "approved by Sam"]
        assert [v.view["title"]["text"] for v in again.open_views(RITA)] == ["Change submitted"]
        assert again.home(RITA) is not None
        issued_again = a_run(again)  # the same calls: nothing it is given now was given before
        assert not issued & issued_again
        newest = max(float(m.ts) for m in again.messages(CHANNEL))
        assert newest > max(float(ts) for ts, *_ in before["channel"])  # in order, too
    finally:
        store.close()


def test_a_new_file_numbers_from_the_clock_so_a_run_before_it_is_never_met(tmp_path: Path
                                                                            ) -> None:
    fake, store = opened(tmp_path / "sandbox-slack.db", now=lambda: 1_797_000_000.5)
    try:
        first = call(fake, "chat.postMessage", channel=CHANNEL, text="CHG-1")["ts"]
        view = call(fake, "views.open", trigger_id=fake.issue_trigger(RITA),
                    view=json.dumps(MODAL))["view"]["id"]
    finally:
        store.close()
    assert first == "1797000001.000001"  # reads as the time it was posted
    assert view == "V000007000002"  # far past V000000000001, where runs without the file began


def test_the_fake_of_the_tests_keeps_to_memory_and_counts_from_one() -> None:
    state = SlackState()
    assert (state.next_ts(), state.next_id("V"), state.store) == (
        "1790000001.000001", "V000000000002", None)


async def test_for_another_database_the_channels_start_empty_and_the_ids_go_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "sandbox-slack.db"
    fake, store = opened(path, "db-1")
    issued = a_run(fake)
    store.close()

    again, store = opened(path, "db-2")  # sandbox.db deleted to start over, and created again
    try:
        assert shown(again) == {"channel": [], "threads": {}, "ephemerals": [], "views": {},
                                "homes": {}}
        assert "kept for another database" in caplog.text
        assert not issued & a_run(again)
    finally:
        store.close()
    third, store = opened(path, "db-2")
    try:
        assert len(third.messages(CHANNEL)) == 1  # the same database again: kept
    finally:
        store.close()


def test_a_file_it_cannot_use_is_named_with_what_to_do(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage-slack.db"
    garbage.write_bytes(b"not a database at all, but long enough to look like one" * 20)
    with pytest.raises(WorkspaceFileError, match="delete it to start the sandbox with empty"):
        WorkspaceFile.open(garbage, "db-1")

    newer = tmp_path / "newer-slack.db"
    with sqlite3.connect(newer) as connection:
        connection.execute(f"PRAGMA user_version={SCHEMA + 1}")
    connection.close()
    with pytest.raises(WorkspaceFileError, match=r"written by a newer ChangeGate .*delete it"):
        WorkspaceFile.open(newer, "db-1")


def test_the_file_lies_beside_the_database_or_else_beside_the_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policies" / "my-policy.yaml"
    assert workspace_path(f"sqlite+aiosqlite:///{tmp_path}/sandbox.db", policy) == \
        tmp_path / "sandbox-slack.db"
    assert workspace_path(f"sqlite+aiosqlite:///{tmp_path}/data/try.db", policy) == \
        tmp_path / "data" / "try-slack.db"
    assert workspace_path("postgresql+asyncpg://cg@db/changegate", policy) == \
        tmp_path / "policies" / "sandbox-slack.db"
