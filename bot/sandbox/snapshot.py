"""What one person's Slack client would show right now, as JSON with the Block Kit drawn as HTML."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.sandbox.blockkit import blocks_html, message_html, plain_text
from bot.sandbox.dates import clock
from bot.sandbox.fakeslack.server import FakeSlack
from bot.sandbox.fakeslack.state import Ephemeral, Message, ViewRecord
from bot.sandbox.viewer import Viewer, viewer_for

Json = dict[str, Any]
SHOWN_PER_CONVERSATION = 200


def page_state(fake: FakeSlack, user: str, now: datetime | None = None) -> Json:
    """Channels, the person's DM with the app, threads, their ephemerals, Home tab and modal."""
    workspace = fake.workspace
    viewer = viewer_for(workspace, user, now)
    dm = workspace.dm_with(user).id
    public = [c for c in workspace.channels.values() if c.user is None]
    conversations: dict[str, list[Json]] = {}
    threads: dict[str, list[Json]] = {}
    for channel in [*(c.id for c in public), dm]:
        shown = _conversation(fake, channel, user, viewer)
        conversations[channel] = shown[-SHOWN_PER_CONVERSATION:]
        for message in fake.state.in_channel(channel):
            replies = fake.state.replies(channel, message.ts)
            if replies:
                threads[f"{channel}/{message.ts}"] = [_message(r, viewer) for r in replies]
    return {
        "version": fake.version,
        "team": workspace.team_name,
        "me": user,
        "users": [{"id": u.id, "name": u.shown_name, "handle": u.name, "title": u.title,
                   "tz": u.tz} for u in workspace.users.values() if not u.is_bot],
        "channels": [{"id": c.id, "name": c.name} for c in public],
        "dm": dm,
        "conversations": conversations,
        "threads": threads,
        "home": _home(fake.state.homes.get(user), viewer),
        "modal": _modal(fake.open_views(user), viewer),
    }


def _conversation(fake: FakeSlack, channel: str, user: str, viewer: Viewer) -> list[Json]:
    """Top-level messages and broadcast replies, with this person's ephemerals, in ts order."""
    items: list[Message | Ephemeral] = [
        m for (c, _), m in fake.state.messages.items()
        if c == channel and (m.thread_ts is None or m.reply_broadcast)]
    items += [e for e in fake.state.ephemerals if e.channel == channel and e.user == user]
    items.sort(key=lambda item: float(item.ts or 0))
    shown = []
    for item in items:
        if isinstance(item, Ephemeral):
            shown.append(_ephemeral(item, viewer))
        else:
            entry = _message(item, viewer)
            replies = fake.state.replies(channel, item.ts) if not item.thread_ts else []
            entry["replies"] = len(replies)
            shown.append(entry)
    return shown


def _message(message: Message, viewer: Viewer) -> Json:
    return {
        "ts": message.ts, "author": viewer.name(message.user),
        "time": _time(message.posted, viewer), "edited": message.edits > 0,
        "thread_ts": message.thread_ts, "broadcast": message.reply_broadcast,
        "html": message_html(message.text, message.blocks, viewer), "ephemeral": False,
    }


def _ephemeral(ephemeral: Ephemeral, viewer: Viewer) -> Json:
    return {
        "ts": ephemeral.ts, "author": "ChangeGate", "time": _time(ephemeral.posted, viewer),
        "edited": False, "thread_ts": None, "broadcast": False, "replies": 0,
        "html": message_html(ephemeral.text, ephemeral.blocks, viewer), "ephemeral": True,
    }


def _time(posted: float, viewer: Viewer) -> str:
    return clock(datetime.fromtimestamp(posted, viewer.tz))


def _home(record: ViewRecord | None, viewer: Viewer) -> Json | None:
    if record is None:
        return None
    return {"id": record.id, "hash": record.hash,
            "html": blocks_html(record.view.get("blocks") or [], viewer)}


def _modal(open_views: list[ViewRecord], viewer: Viewer) -> Json | None:
    """The view on top of the newest stack; Slack shows one modal at a time."""
    if not open_views:
        return None
    view = open_views[-1]
    return {
        "id": view.id, "hash": view.hash, "title": plain_text(view.view.get("title")),
        "submit": plain_text(view.view.get("submit")) or None,
        "close": plain_text(view.view.get("close")) or "Cancel",
        "html": blocks_html(view.view.get("blocks") or [], viewer),
    }
