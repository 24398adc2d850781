"""The REST API as the pipeline commands use it: one bearer token, JSON in and out, and problem
details turned into errors that carry the server's own `detail`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:  # imported when a session opens, so that `changegate --help` starts quickly
    import aiohttp

URL_VARIABLE = "CHANGEGATE_URL"
TOKEN_VARIABLE = "CHANGEGATE_TOKEN"
API_PREFIX = "/api/v1"
REQUEST_TIMEOUT_S = 60.0  # a plain request; a long-poll gets its own wait on top
CONNECT_TIMEOUT_S = 15.0


class ClientError(Exception):
    """Anything that stops a pipeline command: a setting, the connection, or an error answer."""

    def __init__(self, message: str, *more: str) -> None:
        super().__init__(message)
        self.lines = (message, *more)


class Problem(ClientError):
    """An RFC 9457 answer of the API; `detail` is the message meant for a person."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail, f"(HTTP {status}, {reason})")
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the API is and the token to call it with, from CHANGEGATE_URL and CHANGEGATE_TOKEN."""

    base_url: str  # ends in /api/v1
    token: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Endpoint:
        """Read both variables; a missing or malformed one is named in the error."""
        url = environ.get(URL_VARIABLE, "").strip()
        token = environ.get(TOKEN_VARIABLE, "").strip()
        if not url:
            raise ClientError(f"{URL_VARIABLE} is not set: set it to ChangeGate's address, "
                              "e.g. https://changegate.example.net")
        if not url.startswith(("http://", "https://")):
            raise ClientError(f"{URL_VARIABLE} must start with http:// or https://, got {url!r}")
        if not token:
            raise ClientError(f"{TOKEN_VARIABLE} is not set: set it to an API token "
                              "(created with `changegate token create`)")
        root = url.rstrip("/").removesuffix(API_PREFIX)
        return cls(root + API_PREFIX, token)


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: status, JSON body and headers."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


class ApiClient:
    """One HTTP session for the life of a command; use it with `async with`."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S)
        self._session = aiohttp.ClientSession(timeout=timeout, headers={
            "Authorization": f"Bearer {self.endpoint.token}", "Accept": "application/json"})
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, path: str, *, body: Any = None,
                   params: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None,
                   wait_s: float = 0.0) -> Answer:
        """Send one request; any error answer raises Problem, any transport failure ClientError."""
        assert self._session is not None, "use ApiClient with async with"
        import aiohttp

        url = self.endpoint.base_url + path
        limit = REQUEST_TIMEOUT_S + wait_s
        try:
            async with self._session.request(
                method, url, params=params, headers=headers, json=body,
                timeout=aiohttp.ClientTimeout(total=limit, sock_connect=CONNECT_TIMEOUT_S),
            ) as response:
                text = await response.text()
                return _answer(response, text, method, url)
        except aiohttp.ClientError as exc:
            raise ClientError(f"cannot reach ChangeGate at {url}: {exc}") from None
        except TimeoutError:
            raise ClientError(f"ChangeGate at {url} did not answer within {limit:.0f}s") from None


def _answer(response: aiohttp.ClientResponse, text: str, method: str, url: str) -> Answer:
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = None
    if response.status >= 400:
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            raise Problem(response.status, str(body.get("reason", "")), body["detail"])
        raise ClientError(f"{method} {url} answered HTTP {response.status}: {_excerpt(text)}")
    if not isinstance(body, dict):
        raise ClientError(f"{method} {url} answered {response.content_type}, not a JSON object: "
                          f"{_excerpt(text)}")
    return Answer(response.status, body, response.headers)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return (flat[:200] + "…") if len(flat) > 200 else (flat or "(empty)")
