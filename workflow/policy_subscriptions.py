"""The policy's event subscriptions: who outside ChangeGate is told of which events, signed.

A CI job, a ticket system or a chat bridge names a URL, the event kinds it follows and the
environment variable holding its signing secret; `match` narrows it to some changes. The policy in
force when an event is committed decides which subscriptions hear of it (workflow/writer.py); the
relay then POSTs each one (bot/outbox/subscriptions.py).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from workflow.events import Event, EventKind
from workflow.model import ChangeRequest
from workflow.policy_executors import _env_name, _url
from workflow.policy_fields import (
    Node,
    Problems,
    child,
    duration,
    kind,
    known_keys,
    mapping,
    text,
)
from workflow.policy_model import Match
from workflow.policy_parse import Groups, optional_list
from workflow.policy_workflows import parse_match

SUBSCRIPTION_KEYS = ("name", "url", "events", "secret_env", "match", "timeout")
SUBSCRIPTION_TIMEOUT = timedelta(seconds=10)
LONGEST_TIMEOUT = timedelta(minutes=1)
# Refusals are audited in their own transaction and never reach the outbox.
NOT_DELIVERED = frozenset({EventKind.REFUSED})
EVENT_KINDS = tuple(k.value for k in EventKind if k not in NOT_DELIVERED)


@dataclass(frozen=True, slots=True)
class Subscription:
    """POST the events of `events` kinds (of changes `match` holds for) to `url`, signed with the
    secret in the environment variable `secret_env`."""

    name: str
    url: str
    events: frozenset[EventKind]
    secret_env: str
    match: Match = field(default_factory=Match)
    timeout: timedelta = SUBSCRIPTION_TIMEOUT

    def wants(self, event: Event, change: ChangeRequest) -> bool:
        """Whether this subscription hears of `event`, which happened to `change`."""
        return event.kind in self.events and self.match.matches(
            change.content, change.metadata, frozenset())

    def as_payload(self) -> dict[str, object]:
        """Where and how to deliver, as the outbox message keeps it (never the secret)."""
        return {"name": self.name, "url": self.url, "secret_env": self.secret_env,
                "timeout_s": self.timeout.total_seconds()}


def parse_subscriptions(value: object, groups: Groups,
                        problems: Problems) -> tuple[Subscription, ...]:
    """Every subscription that could be read in full; each problem is recorded with its path."""
    found: list[Subscription] = []
    names: dict[str, str] = {}
    for index, spec in enumerate(optional_list(value, "subscriptions", problems)):
        path = f"subscriptions[{index}]"
        body = mapping(spec, path, problems,
                       "write {name: ..., url: https://..., events: [approved], secret_env: ...}")
        if body is None:
            continue
        before = len(problems)
        parsed = _subscription(body, path, groups, problems)
        if parsed is None or len(problems) > before:
            continue
        if parsed.name in names:
            problems.add(child(path, "name"), f"{parsed.name!r} is already the name of "
                         f"{names[parsed.name]}", "give each subscription a unique name")
            continue
        names[parsed.name] = path
        found.append(parsed)
    return tuple(found)


def _subscription(body: Node, path: str, groups: Groups, problems: Problems
                  ) -> Subscription | None:
    known_keys(body, path, SUBSCRIPTION_KEYS, problems)
    name = None
    if "name" not in body:
        problems.add(child(path, "name"), "is missing", "name the subscription (e.g. name: ci)")
    else:
        name = text(body["name"], child(path, "name"), problems, "name the subscription")
    url = _url(body, path, problems)
    secret_env = _env_name(body.get("secret_env"), child(path, "secret_env"), problems)
    events = _events(body.get("events"), child(path, "events"), problems)
    match = _match(body.get("match"), child(path, "match"), groups, problems)
    timeout = SUBSCRIPTION_TIMEOUT
    if "timeout" in body:
        where = child(path, "timeout")
        found = duration(body["timeout"], where, problems, zero_ok=False)
        if found is not None and found > LONGEST_TIMEOUT:
            problems.add(where, f"{body['timeout']} is longer than a delivery may take",
                         "write at most 1m: a slow receiver should answer at once and work later")
        elif found is not None:
            timeout = found
    if name is None or url is None or secret_env is None or events is None or match is None:
        return None
    return Subscription(name, url, events, secret_env, match, timeout)


def _events(value: object, path: str, problems: Problems) -> frozenset[EventKind] | None:
    fix = ("list event kinds, such as [approved, rejected, applied]; one of: "
           f"{', '.join(EVENT_KINDS)}")
    if value is None:
        problems.add(path, "is missing", fix)
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.add(path, f"must be a non-empty list of event kinds, not {kind(value)}", fix)
        return None
    found: list[EventKind] = []
    ok = True
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        word = text(item, where, problems, fix)
        if word is None:
            ok = False
        elif word in (k.value for k in NOT_DELIVERED):
            problems.add(where, f"{word!r} events are audited but never delivered",
                         "remove it; `changegate audit export` and GET /api/v1/audit have them")
            ok = False
        elif word not in EVENT_KINDS:
            close = difflib.get_close_matches(word, EVENT_KINDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.add(where, f"{word!r} is not an event kind", f"{hint}use one of: "
                         f"{', '.join(EVENT_KINDS)}")
            ok = False
        elif EventKind(word) in found:
            problems.add(where, f"{word} is listed twice", "list each event kind once")
            ok = False
        else:
            found.append(EventKind(word))
    return frozenset(found) if ok else None


def _match(value: object, path: str, groups: Groups, problems: Problems) -> Match | None:
    """A workflow's match keys but `requester_group`, which would need a directory lookup at
    every commit."""
    if isinstance(value, dict) and "requester_group" in value:
        problems.add(child(path, "requester_group"), "is not available to subscriptions",
                     "match on risk, family, action, target or labels; a receiver can filter "
                     "on the requester itself")
        value = {k: v for k, v in value.items() if k != "requester_group"}
    return parse_match(value, path, groups, problems)


def secret_problems(subscriptions: tuple[Subscription, ...],
                    environ: Mapping[str, str]) -> list[str]:
    """Subscriptions whose secret variable is unset: their deliveries fail until it is set."""
    return [f"subscription {s.name}: {s.secret_env} is not set, so its events cannot be signed "
            "and are retried, then dead-lettered, until it is"
            for s in subscriptions if not environ.get(s.secret_env)]
