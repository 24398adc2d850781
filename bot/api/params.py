"""Path and query parameters, each refused with a 400 naming it (404 for a malformed id)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from aiohttp import web

from bot.api.fields import check_datetime, check_string
from bot.api.problems import ApiProblem, bad_input

CHANGE_ID = re.compile(r"CHG-[1-9][0-9]{0,17}")
CURSOR = re.compile(r"[0-9]{1,18}")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def change_id(request: web.Request) -> str:
    """The `{id}` of the path; anything but CHG-n names no change."""
    value = request.match_info["id"]
    if not CHANGE_ID.fullmatch(value):
        raise ApiProblem(404, "not_found", f"{value} does not exist (ids look like CHG-42)")
    return value


def known_only(request: web.Request, names: Sequence[str]) -> None:
    """Unknown query parameters are mistakes worth naming (a misspelt filter lists everything)."""
    for name in request.query:
        if name not in names:
            raise bad_input(name, f"unknown query parameter; expected {', '.join(names)}")


def single(request: web.Request, name: str) -> str | None:
    """A parameter given at most once."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise bad_input(name, "give it once")
    return check_string(name, values[0], 500, True) if values else None


def choice(request: web.Request, name: str, choices: Sequence[str], default: str | None = None
           ) -> str | None:
    """A parameter with a fixed set of values."""
    value = single(request, name)
    if value is None:
        return default
    if value not in choices:
        raise bad_input(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def whole(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """A whole number within bounds."""
    value = single(request, name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value) or not low <= int(value) <= high:
        raise bad_input(name, f"must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def cursor(request: web.Request) -> int | None:
    """The opaque `cursor` a previous page returned as `next_cursor`."""
    value = single(request, "cursor")
    if value is None:
        return None
    if not CURSOR.fullmatch(value):
        raise bad_input("cursor", "is not a cursor this API returned")
    return int(value)


def time(request: web.Request, name: str) -> datetime | None:
    """An ISO 8601 time with its time zone."""
    value = single(request, name)
    return None if value is None else check_datetime(name, value)


def limit(request: web.Request) -> int:
    """Page size."""
    return whole(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
