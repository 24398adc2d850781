"""Declared request fields: one declaration checks a body and describes it in the OpenAPI file.

A body is checked whole before anything is written: unknown members, wrong types, lengths,
enum values and time zones are each a 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.api.problems import bad_input
from workflow.time_range import TIME_RANGE, within_range

MAX_INTEGER = 1_000_000


@dataclass(frozen=True, slots=True)
class Field:
    """One member of a JSON object: its kind, whether it is required, and its limits."""

    name: str
    kind: str  # string | enum | boolean | integer | datetime | labels | object | objects
    description: str
    required: bool = False
    max_length: int = 0  # strings; for labels, the length of each label
    max_items: int = 0  # labels, objects
    choices: tuple[str, ...] = ()  # enum
    nullable: bool = False
    blank: bool = True  # whether an empty or all-blank string is accepted
    members: tuple[Field, ...] = ()  # object, and each item of objects


def check_body(body: Mapping[str, Any], spec: Sequence[Field], prefix: str = "") -> dict[str, Any]:
    """The present members, checked and converted (datetimes parsed, labels as a tuple)."""
    known = {f.name: f for f in spec}
    for name in body:
        if name not in known:
            expected = ", ".join(known) or "no members"
            raise bad_input(f"{prefix}{name}", f"unknown field; expected {expected}")
    values: dict[str, Any] = {}
    for field in spec:
        path = f"{prefix}{field.name}"
        if field.name not in body:
            if field.required:
                raise bad_input(path, "is required")
            continue
        raw = body[field.name]
        if raw is None and field.nullable:
            values[field.name] = None
            continue
        values[field.name] = _check(field, path, raw)
    return values


def _check(field: Field, path: str, raw: Any) -> Any:
    kind = field.kind
    if kind == "string":
        return check_string(path, raw, field.max_length, field.blank)
    if kind == "enum":
        value = check_string(path, raw, 100, True)
        if value not in field.choices:
            raise bad_input(path, f"must be one of {', '.join(field.choices)}, got {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise bad_input(path, f"must be true or false, got {type_name(raw)}")
        return raw
    if kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_INTEGER:
            raise bad_input(path, f"must be a whole number from 1 to {MAX_INTEGER}")
        return raw
    if kind == "datetime":
        return check_datetime(path, check_string(path, raw, 64, False))
    if kind == "labels":
        return _check_labels(field, path, raw)
    if kind == "object":
        if not isinstance(raw, dict):
            raise bad_input(path, f"must be an object, got {type_name(raw)}")
        return check_body(raw, field.members, prefix=f"{path}.")
    if kind == "objects":
        return _check_objects(field, path, raw)
    raise AssertionError(f"unknown field kind {kind}")


def check_string(path: str, raw: Any, max_length: int, blank: bool) -> str:
    """A string that any database stores: no NUL, no lone surrogate, within its length."""
    if not isinstance(raw, str):
        raise bad_input(path, f"must be a string, got {type_name(raw)}")
    if "\x00" in raw:
        raise bad_input(path, "must not contain NUL characters")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_input(path, "must be valid Unicode (it has a lone surrogate)") from None
    if len(raw) > max_length:
        raise bad_input(path, f"is {len(raw)} characters long; the limit is {max_length}")
    if not blank and not raw.strip():
        raise bad_input(path, "must not be blank")
    return raw


def check_datetime(path: str, text: str) -> datetime:
    """An ISO 8601 / RFC 3339 time with a time zone, as UTC, within the supported years."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise bad_input(path, f"is not an ISO 8601 time: {text!r} "
                              "(e.g. 2026-12-01T22:00:00Z)") from None
    if value.utcoffset() is None:
        raise bad_input(path, "needs a time zone, e.g. 2026-12-01T22:00:00Z")
    utc = within_range(value)
    if utc is None:
        raise bad_input(path, f"must be {TIME_RANGE}, got {text!r}")
    return utc


def _check_labels(field: Field, path: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise bad_input(path, f"must be an array of strings, got {type_name(raw)}")
    if len(raw) > field.max_items:
        raise bad_input(path, f"has {len(raw)} labels; the limit is {field.max_items}")
    return tuple(
        check_string(f"{path}[{i}]", item, field.max_length, False) for i, item in enumerate(raw)
    )


def _check_objects(field: Field, path: str, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_input(path, f"must be an array of objects, got {type_name(raw)}")
    if not raw:
        raise bad_input(path, "must not be empty")
    if len(raw) > field.max_items:
        raise bad_input(path, f"has {len(raw)} items; the limit is {field.max_items}")
    items: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise bad_input(f"{path}[{i}]", f"must be an object, got {type_name(item)}")
        items.append(check_body(item, field.members, prefix=f"{path}[{i}]."))
    return items


def type_name(raw: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int | float):
        return "a number"
    if isinstance(raw, str):
        return "a string"
    return "an array" if isinstance(raw, list) else "an object"


def schema_of(spec: Sequence[Field]) -> dict[str, Any]:
    """The JSON Schema (2020-12, as OpenAPI 3.1 uses) of an object of these fields."""
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: _field_schema(f) for f in spec},
    }
    required = [f.name for f in spec if f.required]
    if required:
        schema["required"] = required
    return schema


def _field_schema(field: Field) -> dict[str, Any]:
    kind = field.kind
    schema: dict[str, Any]
    if kind == "string":
        schema = {"type": "string", "maxLength": field.max_length}
        if not field.blank:
            schema.update(minLength=1, pattern=r"\S")
    elif kind == "enum":
        schema = {"type": "string", "enum": list(field.choices)}
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "integer":
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
    elif kind == "datetime":
        schema = {"type": "string", "format": "date-time"}
    elif kind == "labels":
        item = {"type": "string", "minLength": 1, "maxLength": field.max_length, "pattern": r"\S"}
        schema = {"type": "array", "maxItems": field.max_items, "items": item}
    elif kind == "objects":
        schema = {"type": "array", "minItems": 1, "maxItems": field.max_items,
                  "items": schema_of(field.members)}
    else:
        schema = schema_of(field.members)
    if field.nullable:
        schema["type"] = [schema["type"], "null"]
    schema["description"] = field.description + (
        f" Must be {TIME_RANGE}." if kind == "datetime" else "")
    return schema
