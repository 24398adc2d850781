"""Readers for single policy-file values that record, rather than raise, every problem they find."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta

from workflow.durations import EXPECTED_FORM, parse_duration

Node = dict[str, object]
# Longer than any approval should wait, and short enough that a deadline stays a valid date.
LONGEST = timedelta(days=3650)


class Problems:
    """Collects every problem so that one load reports them all, not just the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, problem: str, fix: str) -> None:
        """Record `<file>: <key path>: <problem>; <fix>`, on one line whatever the file holds;
        the empty path is the document itself."""
        where = printable(path) or "top level"
        self.items.append(f"{self.source}: {where}: {printable(problem)}; {fix}")

    def __len__(self) -> int:
        return len(self.items)


def control_char(value: str) -> str | None:
    """The first control, format or line-breaking character in `value`, if any."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            return char
    return None


def printable(value: str) -> str:
    """`value` with what does not print escaped, so that a problem shows on one line."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in value)


def child(path: str, key: str) -> str:
    """Key path of a mapping entry."""
    return f"{path}.{key}" if path else key


def kind(value: object) -> str:
    """What a YAML value is, in words, for messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return f"a YAML {type(value).__name__}"


def mapping(value: object, path: str, problems: Problems, fix: str) -> Node | None:
    """The value as a mapping with text keys, or None after recording why not."""
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping, not {kind(value)}", fix)
        return None
    node: Node = {}
    for key, item in value.items():
        if not isinstance(key, str):
            problems.add(child(path, str(key)), "keys must be text", "quote the key")
        elif text(key, child(path, key), problems, "name it with visible characters") is not None:
            node[key] = item
    return node


def known_keys(node: Node, path: str, allowed: Sequence[str], problems: Problems) -> None:
    """Record every key that is not one of the allowed ones, suggesting the closest."""
    for key in node:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.add(
            child(path, key), f"unknown key {key!r}", f"{hint}allowed keys: {', '.join(allowed)}"
        )


def text(value: object, path: str, problems: Problems, fix: str) -> str | None:
    """A non-blank text without surrounding spaces or control characters, or None after
    recording why not."""
    if not isinstance(value, str) or not value.strip():
        problems.add(path, f"must be a non-empty text, not {kind(value)}", fix)
        return None
    if value != value.strip():
        problems.add(path, f"{value!r} has leading or trailing spaces", "remove them")
        return None
    char = control_char(value)
    if char is not None:
        problems.add(path, f"{value!r} contains the control character {char!a}",
                     "remove it; a policy value is one line of visible text")
        return None
    return value


def slack_id(value: object, path: str, problems: Problems, prefixes: str, what: str,
             find: str) -> str | None:
    """The ID of a Slack channel or user group (its first letter one of `prefixes`), never its
    name, which can be renamed; None after recording why not."""
    shapes = [f"{prefix}..." for prefix in prefixes]
    shape = " or ".join([", ".join(shapes[:-1]), shapes[-1]] if len(shapes) > 1 else shapes)
    fix = f"use the {what}'s ID ({shape}); {find}"
    found = text(value, path, problems, fix)
    if found is None or re.fullmatch(f"[{prefixes}][A-Z0-9]{{2,}}", found):
        return found
    if found.startswith(("#", "@")):
        label = "handle" if found.startswith("@") else "name"
        problems.add(path, f"{found} is a {label}, and {label}s can be renamed", fix)
    else:
        problems.add(path, f"{found!r} is not a Slack {what} ID", fix)
    return None


def texts(value: object, path: str, problems: Problems, fix: str) -> tuple[str, ...] | None:
    """One text or a non-empty list of texts, as a tuple; None after recording why not."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.add(path, f"must be a text or a non-empty list of texts, not {kind(value)}", fix)
        return None
    items = [text(item, f"{path}[{i}]", problems, fix) for i, item in enumerate(value)]
    found = [item for item in items if item is not None]
    return tuple(found) if len(found) == len(items) else None


def choice(value: object, path: str, allowed: Sequence[str], problems: Problems) -> str | None:
    """One of the allowed words, or None after recording why not."""
    if isinstance(value, str) and value in allowed:
        return value
    problems.add(path, f"{kind(value)} is not allowed", f"use one of: {', '.join(allowed)}")
    return None


def whole_number(value: object, path: str, problems: Problems, minimum: int | None,
                 maximum: int | None = None) -> int | None:
    """An integer (not a yes/no value) from `minimum` to `maximum`, or None after recording why
    not."""
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(path, f"must be a whole number, not {kind(value)}", "write it without quotes")
        return None
    if minimum is not None and value < minimum:
        problems.add(path, f"{value} is less than {minimum}", f"use {minimum} or more")
        return None
    if maximum is not None and value > maximum:
        problems.add(path, f"{value} is more than {maximum}", f"use {maximum} or fewer")
        return None
    return value


def duration(value: object, path: str, problems: Problems, *, zero_ok: bool) -> timedelta | None:
    """A duration such as `30m`, positive unless zero is allowed; None after recording why not."""
    if not isinstance(value, str):
        problems.add(path, f"must be a duration, not {kind(value)}", f"write {EXPECTED_FORM}")
        return None
    try:
        parsed = parse_duration(value)
    except ValueError as error:
        problems.add(path, str(error).split(": expected")[0], f"write {EXPECTED_FORM}")
        return None
    if not zero_ok and parsed <= timedelta(0):
        problems.add(path, "must be longer than zero", f"write {EXPECTED_FORM}")
        return None
    if parsed > LONGEST:
        problems.add(path, f"{value} is longer than ten years",
                     f"write at most {LONGEST.days}d")
        return None
    return parsed
