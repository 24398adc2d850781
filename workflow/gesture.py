"""The person's gesture a command decides (a submitted form): its key, taken by the deciding
transaction so a replay is refused there; and where to answer it once committed, which only the
entrypoint that made it reads (a Slack form: the card it was opened from)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workflow.model import ChangeRequest


@dataclass(frozen=True, slots=True)
class Gesture:
    """`key` is unique per gesture (None: not one to refuse twice); `reply` is opaque here."""

    key: str | None
    reply: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A committed gesture to answer: the change as committed, and where its answer goes."""

    change: ChangeRequest
    to: str


class Committed(tuple[ChangeRequest, ...]):
    """The changes one transaction saved, in order, with the gestures it decided that ask to be
    answered: a commit observer that only wants the changes reads it as a sequence of them."""

    replies: tuple[Reply, ...]

    def __new__(cls, changes: Iterable[ChangeRequest], replies: Sequence[Reply] = ()
                ) -> Committed:
        made = super().__new__(cls, changes)
        made.replies = tuple(replies)
        return made
