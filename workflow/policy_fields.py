"""Readers for single policy-file values that record, rather than raise, every problem they find."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import timedelta

from workflow.durations import EXPECTED_FORM, parse_duration

Node = dict[str, object]


class Problems:
    """Collects every problem so that one load reports them all, not just the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, problem: str, fix: str) -> None:
        """Record `<file>: <key path>: <problem>; <fix>`."""
        self.items.append(f"{self.source}: {path}: {problem}; {fix}")

    def __len__(self) -> int:
        return len(self.items)


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
    return "a list" if isinstance(value, list) else "a mapping"


def mapping(value: object, path: str, problems: Problems, fix: str) -> Node | None:
    """The value as a mapping with text keys, or None after recording why not."""
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping, not {kind(value)}", fix)
        return None
    node: Node = {}
    for key, item in value.items():
        if isinstance(key, str):
            node[key] = item
        else:
            problems.add(child(path, str(key)), "keys must be text", "quote the key")
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
    """A non-blank text without surrounding spaces, or None after recording why not."""
    if not isinstance(value, str) or not value.strip():
        problems.add(path, f"must be a non-empty text, not {kind(value)}", fix)
        return None
    if value != value.strip():
        problems.add(path, f"{value!r} has leading or trailing spaces", "remove them")
        return None
    return value


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


def whole_number(value: object, path: str, problems: Problems, minimum: int | None) -> int | None:
    """An integer (not a yes/no value) at least `minimum`, or None after recording why not."""
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(path, f"must be a whole number, not {kind(value)}", "write it without quotes")
        return None
    if minimum is not None and value < minimum:
        problems.add(path, f"{value} is less than {minimum}", f"use {minimum} or more")
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
    return parsed
