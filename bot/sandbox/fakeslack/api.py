"""Shared pieces of the fake Web API: the error type, argument helpers and the method context."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.fakeslack.state import SlackState
from bot.sandbox.fakeslack.workspace import Workspace

Args = dict[str, Any]
Result = dict[str, Any]


class ApiError(Exception):
    """An `ok: false` answer with Slack's error code (HTTP 200, as Slack answers them)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Fake:
    """What every method reads and changes; `clock` is seconds, injectable for expiry tests."""

    workspace: Workspace
    state: SlackState
    clock: Callable[[], float]
    socket_url: Callable[[], str]


Method = Callable[[Fake, Args], Result]


def required(args: Args, name: str) -> str:
    """A required string argument, or Slack's invalid_arguments."""
    value = args.get(name)
    if value is None or value == "":
        raise ApiError("invalid_arguments", response_metadata={"messages": [
            f"[ERROR] missing required field: {name}"]})
    return str(value)


def json_arg(args: Args, name: str) -> Any:
    """An argument that may arrive as JSON text (form posts) or as JSON (json posts)."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(f"invalid_{name}") from None
    return value


def flag(args: Args, name: str) -> bool:
    """A boolean argument sent as true/1 or as JSON true."""
    value = args.get(name)
    return value is True or str(value).lower() in ("true", "1")
