"""Parsing `/change` text into a subcommand, with a usage message for anything else."""

from __future__ import annotations

import re
from dataclasses import dataclass

CHANGE_ID = re.compile(r"^chg-(\d+)$", re.IGNORECASE)
NEEDS_ID = ("show", "edit", "submit", "withdraw", "dry-run", "apply", "copy")
USAGE = """*`/change`* — propose and review changes
• `/change new` (or just `/change`): propose a change in a form
• `/change list`: what needs you (a rejection, say), what awaits your approval, your requests
• `/change show CHG-42`: the card of a change, just for you
• `/change edit CHG-42`: revise a draft, rejected or expired change in the form
• `/change copy CHG-42`: start a failed, withdrawn, rejected or expired change again as a draft
• `/change submit CHG-42`: send a draft for review
• `/change withdraw CHG-42`: withdraw your request, or your approval of someone else's
• `/change dry-run CHG-42`: run the dry-run again
• `/change apply CHG-42`: apply an approved change
• `/change help`: this message"""


@dataclass(frozen=True, slots=True)
class Parsed:
    """A subcommand and its change id; `problem` is set when the input made no sense."""

    verb: str
    change_id: str | None = None
    problem: str | None = None


def parse(text: str) -> Parsed:
    """`new`, `list`, `help`, or a verb with one change id; a bare id means `show`."""
    words = text.split()
    if not words:
        return Parsed("new")
    verb = words[0].lower()
    if CHANGE_ID.match(verb) and len(words) == 1:
        return Parsed("show", _normal(verb))
    if verb in ("new", "list", "help"):
        if len(words) > 1:
            return Parsed("help", problem=f"`{verb}` takes no arguments")
        return Parsed(verb)
    if verb in NEEDS_ID:
        if len(words) != 2 or not CHANGE_ID.match(words[1]):
            return Parsed("help", problem=f"`{verb}` needs one change id, e.g. `{verb} CHG-42`")
        return Parsed(verb, _normal(words[1]))
    return Parsed("help", problem=f"unknown subcommand `{_clean(words[0])}`")


def _normal(change_id: str) -> str:
    found = CHANGE_ID.match(change_id)
    assert found is not None
    return f"CHG-{int(found.group(1))}"


def _clean(word: str) -> str:
    """User input echoed back safely: no mention or link syntax, bounded length."""
    return re.sub(r"[<>&`]", "", word)[:40]


def usage(problem: str | None = None) -> str:
    """The help text, led by what was wrong."""
    return f":warning: {problem}.\n\n{USAGE}" if problem else USAGE
