"""views.open / push / update / publish with single-use, short-lived trigger ids."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.views import View

from bot.sandbox.fakeslack.api import ApiError, Args, Fake, Result, json_arg, required
from bot.sandbox.fakeslack.state import TRIGGER_LIFE_S, VIEW_STACK_MAX, ViewRecord


def _view(args: Args, kind: str) -> dict[str, Any]:
    view = json_arg(args, "view")
    if not isinstance(view, dict) or view.get("type") != kind:
        raise ApiError("invalid_arguments")
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError) as exc:
        raise ApiError("invalid_arguments", response_metadata={"messages": [str(exc)]}) from None
    return view


def _hash(view: dict[str, Any], serial: str) -> str:
    return hashlib.sha1(f"{serial}{json.dumps(view, sort_keys=True)}".encode()).hexdigest()[:20]


def _exchange(fake: Fake, args: Args) -> str:
    """Use up a trigger id: unknown, used or older than three seconds is refused."""
    trigger = fake.state.triggers.get(required(args, "trigger_id"))
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if fake.clock() - trigger.issued_at > TRIGGER_LIFE_S:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger.user


def _answer(fake: Fake, record: ViewRecord) -> Result:
    w = fake.workspace
    return {"view": record.as_json(w.team_id, w.app_id, w.bot_id)}


def _stack(fake: Fake, root_id: str) -> list[ViewRecord]:
    return [v for v in fake.state.views.values() if v.root_id == root_id and not v.closed]


def views_open(fake: Fake, args: Args) -> Result:
    view = _view(args, "modal")
    user = _exchange(fake, args)
    view_id = fake.state.next_id("V")
    record = ViewRecord(view_id, user, view, _hash(view, view_id), view_id,
                        view.get("external_id"))
    fake.state.put_view(record)
    return _answer(fake, record)


def views_push(fake: Fake, args: Args) -> Result:
    view = _view(args, "modal")
    user = _exchange(fake, args)
    top = [v for v in fake.state.views.values() if v.user == user and not v.closed]
    if not top:
        raise ApiError("not_found")
    root = top[-1].root_id
    if len(_stack(fake, root)) >= VIEW_STACK_MAX:
        raise ApiError("push_limit_reached")
    view_id = fake.state.next_id("V")
    record = ViewRecord(view_id, user, view, _hash(view, view_id), root, view.get("external_id"))
    fake.state.put_view(record)
    return _answer(fake, record)


def views_update(fake: Fake, args: Args) -> Result:
    view = _view(args, "modal")
    record = _find(fake, args)
    expected = args.get("hash")
    if expected and expected != record.hash:
        raise ApiError("hash_conflict")
    record.view = view
    record.hash = _hash(view, record.hash)
    fake.state.put_view(record)
    return _answer(fake, record)


def _find(fake: Fake, args: Args) -> ViewRecord:
    view_id = args.get("view_id")
    external_id = args.get("external_id")
    for record in fake.state.views.values():
        by_external = external_id and record.external_id == external_id
        if (view_id and record.id == view_id) or by_external:
            if record.closed:
                raise ApiError("not_found")
            return record
    raise ApiError("not_found")


def views_publish(fake: Fake, args: Args) -> Result:
    user = required(args, "user_id")
    if user not in fake.workspace.users:
        raise ApiError("user_not_found")
    view = _view(args, "home")
    previous = fake.state.homes.get(user)
    expected = args.get("hash")
    if previous and expected and expected != previous.hash:
        raise ApiError("hash_conflict")
    view_id = previous.id if previous else fake.state.next_id("V")
    record = ViewRecord(view_id, user, view, _hash(view, view_id), view_id)
    fake.state.put_home(record)
    return _answer(fake, record)
