"""The `webhook` executor: a signed HTTPS POST; only a well-formed reply is a clear answer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from bot.executors.change_payload import Mode, change_payload, encode
from bot.executors.errors import (
    DryRunFailed,
    ExecutorProtocolError,
    ExecutorTimeout,
    ExecutorTransportError,
)
from bot.executors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from bot.executors.summary import summarise
from workflow.durations import format_duration
from workflow.executor_spec import MAX_OUTPUT, WebhookSpec
from workflow.model import ApplyStatus, ChangeRequest
from workflow.ports import ApplyResult

IDEMPOTENCY_HEADER = "Idempotency-Key"
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """The receiver's answer: `ok` says whether it did what was asked."""

    ok: bool
    output: str


class WebhookExecutor:
    """POSTs `{change, revision, digest, mode, ...}`, HMAC-SHA256 signed over timestamp and body."""

    def __init__(
        self, spec: WebhookSpec, secret: bytes, *, now: Callable[[], float] = time.time,
        max_reply: int = MAX_OUTPUT,
    ) -> None:
        self._spec = spec
        self._secret = secret
        self._now = now
        self._max_reply = max_reply

    async def dry_run(self, change: ChangeRequest) -> str:
        """The receiver's output; `ok: false` refuses the dry-run."""
        reply = await self._post(change, "dry_run", None)
        if not reply.ok:
            raise DryRunFailed(f"webhook {self._spec.name} refused the dry-run of {change.id}: "
                               f"{summarise(reply.output, 500)}")
        return reply.output

    async def apply(self, change: ChangeRequest, key: str) -> ApplyResult:
        """`ok: true` is applied and `ok: false` failed; anything else raises (unknown)."""
        reply = await self._post(change, "apply", key)
        return ApplyResult(ApplyStatus.APPLIED if reply.ok else ApplyStatus.FAILED, reply.output)

    def cannot_abort(self, change: ChangeRequest) -> str | None:
        """Only a receiver with an `abort` URL in the policy can be asked to stop."""
        if self._spec.abort is None:
            return (f"webhook executor {self._spec.name} has no abort URL in the policy "
                    f"(executors.{self._spec.name}.abort), so it cannot be asked to stop: "
                    "wait for its outcome")
        return None

    async def abort(self, change: ChangeRequest, key: str) -> None:
        """POST the signed change (mode `abort`, the running apply's key) to the abort URL; the
        apply's own answer still says how it ended."""
        if self._spec.abort is not None:
            await self._post(change, "abort", key, self._spec.abort)

    def headers(self, body: bytes, key: str | None) -> dict[str, str]:
        """Content type, timestamp, signature and, for an apply, the idempotency key."""
        timestamp = str(int(self._now()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ChangeGate",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
        }
        if key is not None:
            headers[IDEMPOTENCY_HEADER] = key
        return headers

    async def _post(self, change: ChangeRequest, mode: Mode, key: str | None,
                    url: str | None = None) -> Reply:
        url = url or self._spec.url
        body = encode(change_payload(change, mode, key))
        where = f"webhook {self._spec.name} ({url})"
        timeout = aiohttp.ClientTimeout(total=self._spec.timeout.total_seconds())
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, data=body, headers=self.headers(body, key),
                             allow_redirects=False) as response,
            ):
                raw = await self._read(response, where)
                status = response.status
        except TimeoutError:
            raise ExecutorTimeout(
                f"{where} did not answer within {format_duration(self._spec.timeout)}: "
                "the outcome is unknown"
            ) from None
        except aiohttp.ClientError as error:
            raise ExecutorTransportError(f"{where} failed: {error!r}; the outcome is unknown"
                                         ) from None
        if not 200 <= status < 300:
            raise ExecutorProtocolError(f"{where} answered HTTP {status}: the outcome is unknown")
        return _reply(raw, where)

    async def _read(self, response: aiohttp.ClientResponse, where: str) -> bytes:
        """The reply body, refusing one larger than the limit."""
        raw = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            raw += chunk
            if len(raw) > self._max_reply:
                raise ExecutorProtocolError(
                    f"{where} sent a reply over {self._max_reply} bytes: the outcome is unknown"
                )
        return bytes(raw)


def _reply(raw: bytes, where: str) -> Reply:
    """Parse `{"ok": bool, "output": text}`; anything else is not an answer."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise ExecutorProtocolError(
            f'{where} did not reply with JSON {{"ok": true|false, "output": "..."}}: '
            "the outcome is unknown"
        )
    output = data.get("output", "")
    if not isinstance(output, str):
        raise ExecutorProtocolError(f"{where} replied with a non-text output: outcome unknown")
    return Reply(data["ok"], output)
