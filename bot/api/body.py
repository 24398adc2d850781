"""Reading a request body: JSON only, within the size limit, an object at the top."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.api.fields import Field, check_body, type_name
from bot.api.problems import ApiProblem, bad_input

MAX_BODY_BYTES = 2 * 1024 * 1024
JSON_TYPES = ("application/json",)


async def read_limited(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused with 413 as soon as it exceeds `limit` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int) -> ApiProblem:
    return ApiProblem(413, "body_too_large",
                      f"the request body is over the limit of {limit} bytes")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode(raw: bytes, content_type: str) -> dict[str, Any] | None:
    """The JSON object of a body; None for an empty one."""
    if not raw.strip():
        return None
    if content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise ApiProblem(415, "unsupported_media_type",
                         f"send JSON with Content-Type: application/json, not {content_type!r}")
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise bad_input("body", "is not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise bad_input("body", f"is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_input("body", f"must be a JSON object, got {type_name(body)}")
    return body


async def json_body(
    request: web.Request, spec: Sequence[Field], *, required: bool = False
) -> dict[str, Any]:
    """The checked members of the request's JSON object; an empty body is `{}` unless required."""
    body = decode(await read_limited(request), request.content_type)
    if body is None:
        if required:
            raise bad_input("body", "a JSON object is required")
        body = {}
    return check_body(body, spec)
