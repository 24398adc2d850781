"""Who may act: people, named by their Slack user id on every outside path, and `system`, the
name the engine's own timers and executors act under and nobody else may take."""

from __future__ import annotations

import re
from typing import TypeGuard

# Slack's user ids: U (a workspace's own people) or W (Enterprise Grid), then capitals and digits.
PERSON_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def is_person(actor: object) -> TypeGuard[str]:
    """A Slack user id; never `system`, never empty, never anything but text."""
    return isinstance(actor, str) and PERSON_ID.fullmatch(actor) is not None

