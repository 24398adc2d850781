"""Delivers the policy's event subscriptions: one signed HTTPS POST per `subscription.event`
message. A failure raises, so the relay retries it with backoff and dead-letters it after the
last attempt; every attempt carries the message's delivery id, so a receiver that got one twice
(a relay stopped between the POST and recording it) drops the repeat."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from bot.executors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from storage.ports.outbox import Claimed
from workflow.writer import SUBSCRIPTION_TOPIC

TOPIC = SUBSCRIPTION_TOPIC
DELIVERY_HEADER = "X-ChangeGate-Delivery"
EVENT_HEADER = "X-ChangeGate-Event"
SUBSCRIPTION_HEADER = "X-ChangeGate-Subscription"
DEFAULT_TIMEOUT_S = 10.0


class SubscriptionDeliveryError(Exception):
    """A subscription's event was not taken: retried later, then dead-lettered."""


def body_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What the receiver is sent: the event flat (change, kind, revision, digest, audit seq), the
    change as committed under `summary`."""
    event: Mapping[str, Any] = payload["event"]
    return {
        "delivery_id": payload["delivery_id"],
        "subscription": payload["subscription"]["name"],
        "event": event["kind"],
        "change": event["change_id"],
        "revision": event["revision"],
        "digest": event["digest"],
        "audit_seq": payload.get("audit_seq"),
        "actor": event["actor"],
        "at": event["at"],
        "policy_version": event["policy_version"],
        "data": event["data"],
        "summary": payload["change"],
    }


def encode(body: Mapping[str, Any]) -> bytes:
    """Compact, key-sorted JSON: the exact bytes that are signed and sent."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


class SubscriptionDelivery:
    """The relay's handler of `subscription.event`: sign with the secret named by the message's
    `secret_env` (read from `environ` at each attempt, so setting it lets the retries through)
    and POST; any answer but 2xx, a timeout or a refused connection is a failure."""

    def __init__(self, environ: Mapping[str, str] | None = None, *,
                 now: Callable[[], float] = time.time) -> None:
        self._environ = environ if environ is not None else os.environ
        self._now = now

    def headers(self, payload: Mapping[str, Any], body: bytes, secret: bytes) -> dict[str, str]:
        """Content type, timestamp, signature, and the delivery id, event and subscription."""
        timestamp = str(int(self._now()))
        return {
            "Content-Type": "application/json",
            "User-Agent": "ChangeGate",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            DELIVERY_HEADER: str(payload["delivery_id"]),
            EVENT_HEADER: str(payload["event"]["kind"]),
            SUBSCRIPTION_HEADER: str(payload["subscription"]["name"]),
        }

    async def deliver(self, message: Claimed) -> None:
        """POST one event to its subscription; raise when it was not taken."""
        payload = message.payload
        target: Mapping[str, Any] = payload["subscription"]
        name, url, variable = target["name"], target["url"], target["secret_env"]
        where = f"subscription {name} ({url})"
        secret = self._environ.get(variable, "")
        if not secret:
            raise SubscriptionDeliveryError(
                f"{where}: {variable} is not set, so the event cannot be signed; set it")
        body = encode(body_of(payload))
        timeout = aiohttp.ClientTimeout(total=float(target.get("timeout_s") or DEFAULT_TIMEOUT_S))
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, data=body, headers=self.headers(payload, body, secret.encode()),
                             allow_redirects=False) as response,
            ):
                status = response.status
        except TimeoutError:
            raise SubscriptionDeliveryError(
                f"{where} did not answer within {timeout.total:g} s") from None
        except aiohttp.ClientError as error:
            raise SubscriptionDeliveryError(f"{where} failed: {error!r}") from None
        if not 200 <= status < 300:
            raise SubscriptionDeliveryError(f"{where} answered HTTP {status}")
