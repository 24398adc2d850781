"""Replayed Slack requests are acknowledged and ignored: a captured, correctly signed request is
valid for five minutes, and replayed after its approver withdrew it would approve again."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt.response import BoltResponse

from bot.slack.rendering import ids
from storage.ports.interactions import SeenInteractions

log = logging.getLogger(__name__)
INTERACTIONS = frozenset({"block_actions", "view_submission"})
Next = Callable[[], Awaitable[BoltResponse]]
# Forms whose decision records the submission's key in its own commit (one write, and a replay
# is refused there); and clicks that only open a view, whose replay is harmless (the trigger
# expires in three seconds and only a form's submission decides): neither is written first.
RECEIPTED_VIEWS = frozenset({ids.APPROVE_VIEW, ids.REJECT_VIEW, ids.WITHDRAW_VIEW,
                             ids.COMMENT_VIEW, ids.RESOLVE_VIEW, ids.ABORT_VIEW,
                             ids.POST_REVIEW_VIEW})
VIEW_OPENERS = frozenset({ids.APPROVE, ids.REJECT, ids.WITHDRAW_APPROVAL, ids.COMMENT,
                          ids.RESOLVE, ids.ABORT, ids.POST_REVIEW, ids.EDIT, ids.VIEW_DRY_RUN,
                          ids.VIEW_CHANGE})


@dataclass(frozen=True, slots=True)
class Gesture:
    """One thing a person did in Slack: a click, a form submitted, a command typed."""

    kind: str
    user: str
    id: str

    @property
    def key(self) -> str:
        """Fixed-length, whatever the sender put in the payload."""
        return hashlib.sha256(f"{self.kind}\n{self.user}\n{self.id}".encode()).hexdigest()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def gesture(body: Mapping[str, Any]) -> Gesture | None:
    """Who did what: Slack issues a new single-use trigger_id for every interaction and slash
    command (a click without one is told apart by its action_ts); None when neither is there."""
    if "command" in body:
        kind, user = "command", _text(body.get("user_id"))
    elif body.get("type") in INTERACTIONS:
        who = body.get("user")
        kind, user = str(body["type"]), _text(who.get("id") if isinstance(who, dict) else None)
    else:
        return None
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    made = _text(body.get("trigger_id")) or _text(
        first.get("action_ts") if isinstance(first, dict) else None)
    return Gesture(kind, user, made) if user and made else None


def _callback(body: Mapping[str, Any]) -> str:
    view = body.get("view")
    return _text(view.get("callback_id")) if isinstance(view, dict) else ""


def _action(body: Mapping[str, Any]) -> str:
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return _text(first.get("action_id")) if isinstance(first, dict) else ""


def receipt(body: Mapping[str, Any]) -> str | None:
    """The key a form's deciding commit records, for the forms whose decision records it
    (None for any other request: the middleware recorded it before it was acted on)."""
    made = gesture(body)
    if made is None or made.kind != "view_submission" or _callback(body) not in RECEIPTED_VIEWS:
        return None
    return made.key


def _written_first(body: Mapping[str, Any]) -> bool:
    """Whether the middleware records the gesture before any listener acts on it."""
    if body.get("type") == "block_actions" and _action(body) in VIEW_OPENERS:
        return False
    return receipt(body) is None


def ignored(made: Gesture) -> None:
    """Say in the log that a replayed gesture was acknowledged and not acted on."""
    log.warning("ignored a replayed Slack %s by %r (gesture %r): it was acted on already",
                made.kind, made.user[:40], made.id[:60])


def ignored_form(body: Mapping[str, Any]) -> None:
    """The same, for a form whose deciding commit found its key recorded already."""
    made = gesture(body)
    if made is not None:
        ignored(made)


def wall_clock() -> datetime:
    """Slack's signature window is wall-clock time, so the replay window is too."""
    return datetime.now(UTC)


def ignoring_replays(seen: SeenInteractions, now: Callable[[], datetime] = wall_clock
                     ) -> Callable[..., Awaitable[BoltResponse]]:
    """Bolt middleware: the first sight of a gesture goes on to the listeners; any later one is
    acknowledged, logged and dropped, on whichever replica it arrives. A deciding form's key is
    left to its decision's commit, and a click that only opens a view is not written at all."""

    async def ignore_replays(body: dict[str, Any],
                             next: Next) -> BoltResponse:  # Bolt passes it by this name
        made = gesture(body)
        if made is not None and _written_first(body) and not await seen.first_sight(
                made.key, now()):
            ignored(made)
            return BoltResponse(status=200, body="")
        return await next()

    return ignore_replays
