"""What the app asks Slack for: each Web API method the code calls, its scope, and the events.

tests/test_manifest.py checks app.yaml against these and these against the code.
"""

from __future__ import annotations

# Web API method -> bot scope it needs (None: no scope, e.g. views.* and auth.test).
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",
    "usergroups.users.list": "usergroups:read",
    "views.open": None,
    "views.update": None,
    "views.publish": None,
}

# Scopes not tied to one method call.
FEATURE_SCOPES: dict[str, str] = {
    "commands": "the /change slash command",
    "chat:write.public": "post cards in a workflow's channel without being invited to it",
}

BOT_SCOPES = frozenset(
    {scope for scope in METHOD_SCOPES.values() if scope} | set(FEATURE_SCOPES)
)

BOT_EVENTS = ("app_home_opened", "subteam_members_changed")
