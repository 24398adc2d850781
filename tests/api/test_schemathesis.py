"""schemathesis against a running `changegate serve`, from the OpenAPI document it serves: no
answer is a 5xx, and every answer conforms to the document (status, media type, headers, body).

Bounded so the whole run takes seconds: a few examples per operation, and long-polls that
answer at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.api.routes import ROUTES
from tests.support.served import serving

EXAMPLES_PER_OPERATION = 15
REQUEST_TIMEOUT_S = 30.0
# Answers that reject invalid input; 413 is the body limit, which oversized bodies must meet.
REJECTIONS = ["400", "401", "403", "404", "405", "409", "413", "415", "422"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}})
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class Target:
    """The served schema and what to call it with."""

    schema: schemathesis.BaseSchema
    bearer: str
    session: requests.Session


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A fresh server over SQLite and an admin token, so every operation is reachable."""
    with serving(tmp_path_factory.mktemp("schemathesis")) as served:
        bearer = served.token("U0FUZZ001", "admin", "schemathesis")
        schema = schemathesis.openapi.from_url(f"{served.url}/api/v1/openapi.json",
                                               config=CONFIG, timeout=REQUEST_TIMEOUT_S)
        with requests.Session() as session:
            yield Target(schema, bearer, session)


OPERATIONS = [route.operation for route in ROUTES]
NOTHING_TO_NEGATE = {"readyz"}  # no parameters, body or token: every request is valid
RUNS = [pytest.param(op, mode, id=f"{op}-{mode.value}") for op in OPERATIONS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if not (mode is GenerationMode.NEGATIVE and op in NOTHING_TO_NEGATE)]


def test_every_served_operation_is_exercised(target: Target) -> None:
    served = {result.ok().definition.raw.get("operationId")
              for result in target.schema.get_all_operations()}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize(("operation_id", "mode"), RUNS)
def test_the_served_api_conforms_to_its_document(target: Target, operation_id: str,
                                                 mode: GenerationMode) -> None:
    operation = target.schema.find_operation_by_id(operation_id)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case: schemathesis.Case) -> None:
        _answer_at_once(case)
        # A negative case that leaves Authorization out is sent without it: adding the token
        # back would turn it into a valid request and fail it for being accepted.
        omitted = mode is GenerationMode.NEGATIVE and "Authorization" not in (case.headers or {})
        case.call_and_validate(session=target.session, checks=CHECKS,
                               timeout=REQUEST_TIMEOUT_S,
                               headers={} if omitted else {
                                   "Authorization": f"Bearer {target.bearer}"})

    conforms()


def _answer_at_once(case: schemathesis.Case) -> None:
    """A long-poll on an undecided change holds for its whole `timeout` (default 60 s): any
    value that reaches the server as a positive number (an int, "250", [250]) becomes 0."""
    if case.operation.path != "/changes/{id}/wait":
        return
    query = dict(case.query or {})
    query["timeout"] = _no_wait(query.get("timeout", 0))
    case.query = query


def _no_wait(value: Any) -> Any:
    if isinstance(value, list):
        return [_no_wait(item) for item in value]
    try:
        number = float(str(value))
    except ValueError:
        return value
    return 0 if number > 0 else value
