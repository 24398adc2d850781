"""What an executor is (its kind and settings), as the policy defines it and a submitted change
keeps it: the executor that applies a change is the one it was submitted with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

WEBHOOK_TIMEOUT = timedelta(seconds=30)
COMMAND_TIMEOUT = timedelta(minutes=5)
MAX_OUTPUT = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    """POST the change to `url`, signed with the secret in the environment variable `secret_env`."""

    name: str
    url: str
    secret_env: str
    timeout: timedelta = WEBHOOK_TIMEOUT
    abort: str | None = None  # POSTed to stop a running apply; without it an abort is refused

    kind: ClassVar[str] = "webhook"  # as the policy file names it


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """Run `argv` (never through a shell) with the change as JSON on stdin."""

    name: str
    argv: tuple[str, ...]
    timeout: timedelta = COMMAND_TIMEOUT
    max_output: int = MAX_OUTPUT
    pass_env: tuple[str, ...] = ()

    kind: ClassVar[str] = "command"  # as the policy file names it


@dataclass(frozen=True, slots=True)
class ExternalSpec:
    """A pipeline outside ChangeGate runs the change and reports back through the API."""

    name: str

    kind: ClassVar[str] = "external"  # as the policy file names it


ExecutorSpec = WebhookSpec | CommandSpec | ExternalSpec
