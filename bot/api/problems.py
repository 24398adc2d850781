"""RFC 9457 problem details: every error of the API, refusals of the engine included."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web

from workflow.errors import (
    Busy,
    ChangeNotFound,
    CommentRequired,
    DryRunFailed,
    InvalidInput,
    WorkflowError,
)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:changegate:problem:"
RETRY_AFTER_S = "1"

# Engine refusals that are not 409 Conflict; every other WorkflowError is one.
STATUS_OF: Mapping[type[WorkflowError], int] = {
    ChangeNotFound: 404,
    InvalidInput: 400,
    CommentRequired: 400,
    Busy: 503,
    DryRunFailed: 502,  # the executor, not the client, failed
}
FIELD_OF: Mapping[type[WorkflowError], str] = {CommentRequired: "comment"}


class ApiProblem(Exception):
    """An error answered as problem details; `reason` is a stable code clients may branch on."""

    def __init__(
        self,
        status: int,
        reason: str,
        detail: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})  # extension members, such as a policy's `errors`

    def body(self, instance: str | None) -> dict[str, Any]:
        """The JSON members: type, title, status, detail, instance (when known), reason, and
        field if any."""
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.reason,
            "title": title_of(self.status, self.reason),
            "status": self.status,
            "detail": self.detail,
            **({"instance": instance} if instance is not None else {}),
            "reason": self.reason,
        }
        if self.field is not None:
            body["field"] = self.field
        return {**self.extra, **body}

    def response(self, instance: str | None) -> web.Response:
        """The HTTP answer."""
        return web.json_response(self.body(instance), status=self.status,
                                 content_type=PROBLEM_JSON, headers=self.headers)


def title_of(status: int, reason: str) -> str:
    """A short summary that is the same for every occurrence of the problem type."""
    if status == 409:
        return f"Refused: {reason.replace('_', ' ')}"
    return HTTPStatus(status).phrase


def bad_input(field: str, message: str) -> ApiProblem:
    """400 naming the offending field."""
    return ApiProblem(400, "invalid_input", f"{field}: {message}", field=field)


def refusal(error: WorkflowError) -> ApiProblem:
    """The engine's refusal, mapped by class, with its actionable message as the detail."""
    status = next((s for cls, s in STATUS_OF.items() if isinstance(error, cls)), 409)
    field = error.field if isinstance(error, InvalidInput) else None
    field = field or next((f for cls, f in FIELD_OF.items() if isinstance(error, cls)), None)
    headers = {"Retry-After": RETRY_AFTER_S} if status == 503 else None
    return ApiProblem(status, error.reason, error.message, field=field, headers=headers)


def refusal_of_field(error: WorkflowError, field: str) -> ApiProblem:
    """The engine's refusal of what one input member carried (dry-run output an executor's
    family does not take), naming that member in `field` as a 400 would."""
    problem = refusal(error)
    problem.field = field
    return problem


def from_http(exc: web.HTTPException, path: str) -> ApiProblem:
    """aiohttp's own errors (no route, wrong method) as problem details."""
    if exc.status == 404:
        return ApiProblem(404, "not_found", f"no such resource: {path}")
    if exc.status == 405:
        allowed = exc.headers.get("Allow", "")
        return ApiProblem(405, "method_not_allowed",
                          f"{path} accepts {allowed.replace(',', ', ') or 'no methods'}",
                          headers={"Allow": allowed})
    reason = HTTPStatus(exc.status).phrase.lower().replace(" ", "_").replace("-", "_")
    return ApiProblem(exc.status, reason, exc.text or HTTPStatus(exc.status).phrase)
