"""Checks real answers against the served OpenAPI document: operation, status, media type, body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:changegate:openapi"


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


@dataclass
class Conformance:
    """Built from the document the server serves; `check` fails on any answer it does not allow."""

    document: dict[str, Any]
    operations: list[Operation] = field(default_factory=list)
    checked: set[tuple[str, str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        prefix = self.document["servers"][0]["url"]
        for template, item in self.document["paths"].items():
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(prefix + template))
            for method, spec in item.items():
                self.operations.append(
                    Operation(method.upper(), template, re.compile(f"{regex}$"), spec)
                )

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method and op.pattern.fullmatch(path):
                return op
        return None

    def schema(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"},
                                    registry=self._registry)

    def check(self, method: str, path: str, status: int, media: str, body: Any) -> None:
        """The answer is one the document describes for this operation and status."""
        op = self.operation(method, path)
        if op is None:  # no operation: the API answers 404/405 as problem details
            assert status in (404, 405), (method, path, status)
            assert media == "application/problem+json"
            self.schema("/components/schemas/Problem").validate(body)
            return
        responses = op.spec["responses"]
        key = str(status) if str(status) in responses else "default"
        assert key in responses, f"{method} {path}: status {status} is not documented"
        content = responses[key]["content"]
        assert media in content, f"{method} {path} {status}: {media} not in {list(content)}"
        if media.endswith("json"):
            escaped = op.template.replace("~", "~0").replace("/", "~1")
            pointer = (f"/paths/{escaped}/{method.lower()}/responses/{key}/content/"
                       f"{media.replace('/', '~1')}/schema")
            self.schema(pointer).validate(body)
        self.checked.add((op.method, op.template, status))

    def request_schema(self, method: str, template: str) -> Draft202012Validator:
        """The documented request body schema of an operation."""
        escaped = template.replace("~", "~0").replace("/", "~1")
        return self.schema(f"/paths/{escaped}/{method.lower()}/requestBody/content/"
                           "application~1json/schema")
