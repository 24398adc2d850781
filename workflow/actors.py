"""Who may act: people, named by their Slack user id on every outside path, and `system`, the
name the engine's own timers and executors act under and nobody else may take."""

from __future__ import annotations

import re
from typing import TypeGuard

from workflow.errors import NotPermitted
from workflow.model import SYSTEM_ACTOR

# Slack's user ids: U (a workspace's own people) or W (Enterprise Grid), then capitals and digits.
PERSON_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def is_person(actor: object) -> TypeGuard[str]:
    """A Slack user id; never `system`, never empty, never anything but text."""
    return isinstance(actor, str) and PERSON_ID.fullmatch(actor) is not None



def caller(actor: str) -> str:
    """The actor of a call from outside the engine; `system` is refused whatever the path."""
    if actor == SYSTEM_ACTOR:
        raise NotPermitted(f"{SYSTEM_ACTOR!r} is ChangeGate's own name: only its timers and "
                           "executors act under it")
    return actor
