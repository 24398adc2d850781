"""Hypothesis strategies for hostile input: garbage, near-Slack payloads with spoiled members,
bodies too big to read, and the ways a request can be signed wrongly."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from bot.slack.rendering import ids

FORM = "application/x-www-form-urlencoded"
AWKWARD = st.sampled_from([
    "", " ", "\x00", "a\x00b", "é", "😀", "CHG-1", "CHG-1:1", "CHG-1:99", "CHG-0:1", "CHG-x:y",
    "x" * 600, "\n", "'; DROP TABLE change_requests; --", "{}", "[]", "null", "%", "%zz",
    "payload=", "U0NOBODY", "T0OTHER", ids.APPROVE, ids.APPLY, ids.RESOLVE, ids.REJECT,
])
TEXT = st.text(max_size=40) | AWKWARD
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=5), max_leaves=16)
# Nobody the policy knows: whatever such a person asks for is refused or harmless.
STRANGER = st.sampled_from(["U0NOBODY", "W0GUEST", "", "UREQ ", "ureq"]) | st.text(max_size=12)
# Action ids of the app, but never the proposal form: a valid one would rightly create a change.
ACTION = st.sampled_from([*ids.CARD_ACTIONS, ids.HOME_MORE, ids.OPEN_CARD,
                          f"{ids.DRY_RUN_PAGE}_next"]) | TEXT
CALLBACK = st.sampled_from([ids.REJECT_VIEW, ids.COMMENT_VIEW, ids.RESOLVE_VIEW, ids.APPROVE_VIEW,
                           ids.WITHDRAW_VIEW]) | TEXT
SIGNING = st.sampled_from(["none", "wrong secret", "stale", "future", "tampered"])


def spoil(value: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    """Drop, replace or add a few members."""
    spoiled = dict(value)
    for key in draw(st.lists(st.sampled_from(sorted(value) or ["type"]), max_size=3)):
        if draw(st.booleans()):
            spoiled.pop(key, None)
        else:
            spoiled[key] = draw(JSON)
    spoiled.update(draw(st.dictionaries(TEXT, JSON, max_size=2)))
    return spoiled


@st.composite
def interaction(draw: st.DrawFn, team_id: str) -> str:
    """A button click or form submission from a stranger, with members spoiled."""
    user = {"id": draw(STRANGER), "team_id": team_id}
    if draw(st.booleans()):
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": team_id}, "user": user,
            "actions": [{"action_id": draw(ACTION), "value": draw(TEXT), "type": "button"}],
            "channel": {"id": draw(TEXT)}, "trigger_id": draw(TEXT),
            "response_url": draw(st.sampled_from(["", "http://127.0.0.1:9/none"]))}
    else:
        payload = {"type": "view_submission", "team": {"id": team_id}, "user": user,
                   "view": {"id": draw(TEXT), "callback_id": draw(CALLBACK),
                            "private_metadata": draw(TEXT),
                            "state": {"values": draw(JSON)}}}
    return "payload=" + quote(json.dumps(spoil(payload, draw)))


@st.composite
def slash(draw: st.DrawFn, team_id: str) -> str:
    """`/change` with any text, typed by a stranger (or with spoiled fields)."""
    form = {"command": draw(st.sampled_from(["/change", "/other"]) | TEXT),
            "text": draw(TEXT | st.sampled_from(["list", "show CHG-1", "apply CHG-1",
                                                 "withdraw CHG-1", "dry-run CHG-1", "help"])),
            "user_id": draw(STRANGER), "team_id": team_id, "channel_id": draw(TEXT),
            "trigger_id": draw(TEXT), "response_url": ""}
    return urlencode({k: v if isinstance(v, str) else json.dumps(v)
                      for k, v in spoil(form, draw).items()})


@st.composite
def event(draw: st.DrawFn, team_id: str) -> str:
    """An Events API body about nobody in particular."""
    inner = {"type": draw(st.sampled_from(["app_home_opened", "subteam_members_changed",
                                           "message", "url_verification"]) | TEXT),
             "user": draw(STRANGER), "subteam_id": draw(TEXT), "tab": draw(TEXT)}
    body = {"type": draw(st.sampled_from(["event_callback", "url_verification"]) | TEXT),
            "team_id": team_id, "event": spoil(inner, draw), "event_id": draw(TEXT),
            "challenge": draw(TEXT)}
    return json.dumps(spoil(body, draw))


@st.composite
def slack_bodies(draw: st.DrawFn, team_id: str) -> tuple[bytes, str]:
    """Raw bytes and a content type: garbage, or a near-Slack body."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=300)), draw(st.sampled_from([FORM, "application/json"]))
    if kind == 1:
        return draw(st.text(max_size=300)).encode("utf-8", "surrogatepass"), FORM
    if kind == 2:
        return draw(interaction(team_id)).encode(), FORM
    if kind == 3:
        return draw(slash(team_id)).encode(), FORM
    if kind == 4:
        return draw(event(team_id)).encode(), "application/json"
    return json.dumps(draw(JSON)).encode(), draw(st.sampled_from([FORM, "application/json",
                                                                    "text/plain"]))
