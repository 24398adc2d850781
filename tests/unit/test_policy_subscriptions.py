"""The policy's `subscriptions` and `ticket_url`: what is accepted, and every refusal naming
its key path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.events import Event, EventKind
from workflow.model import ChangeRequest, Content, Metadata, Revision, Risk
from workflow.policy import PolicyError, parse_policy
from workflow.policy_subscriptions import secret_problems
from workflow.ticket_links import ticket_link
from workflow.writer import Followers, subscription_messages

EPOCH = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BASE = """
groups: {seniors: {members: [n1, n2]}}
workflows: [{name: all, priority: 10, stages: []}]
"""
GOOD = """
ticket_url: https://jira.example/browse/{ticket}
subscriptions:
  - name: ci
    url: https://ci.example/changegate
    events: [approved, rejected, applied]
    secret_env: CI_SECRET
    match: {risk: [high, critical], family: "bgp*"}
  - {name: chat, url: "http://localhost:9000/hook", events: applied, secret_env: CHAT_SECRET,
     timeout: 30s}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(BASE + text, "p.yaml")
    return info.value.errors


def one(text: str) -> str:
    [error] = errors_of(text)
    return error


def test_subscriptions_and_the_ticket_url_are_read() -> None:
    policy = parse_policy(BASE + GOOD, "p.yaml")
    ci, chat = policy.subscriptions
    assert (ci.name, ci.url, ci.secret_env, ci.timeout) == (
        "ci", "https://ci.example/changegate", "CI_SECRET", timedelta(seconds=10))
    assert ci.events == {EventKind.APPROVED, EventKind.REJECTED, EventKind.APPLIED}
    assert ci.match.risk == frozenset({"high", "critical"})
    assert ci.match.family == frozenset({"bgp*"})
    assert chat.events == {EventKind.APPLIED} and chat.timeout == timedelta(seconds=30)
    assert policy.ticket_url == "https://jira.example/browse/{ticket}"
    assert parse_policy(BASE, "p.yaml").subscriptions == ()
    assert parse_policy(BASE, "p.yaml").ticket_url is None


def test_an_unknown_event_kind_names_its_field_and_the_closest_kind() -> None:
    error = one("subscriptions: [{name: ci, url: 'https://ci.example', events: [approved, "
                "aplied], secret_env: S}]")
    assert error.startswith("p.yaml: subscriptions[0].events[1]: 'aplied' is not an event "
                            "kind; did you mean 'applied'? use one of: proposed, ")


@pytest.mark.parametrize(("entry", "path", "problem"), [
    ("{url: 'https://ci.example', events: [approved], secret_env: S}", "subscriptions[0].name",
     "is missing"),
    ("{name: ci, events: [approved], secret_env: S}", "subscriptions[0].url", "is missing"),
    ("{name: ci, url: 'http://ci.example', events: [approved], secret_env: S}",
     "subscriptions[0].url", "is plain HTTP"),
    ("{name: ci, url: 'https://u:p@ci.example', events: [approved], secret_env: S}",
     "subscriptions[0].url", "carries a user name or password"),
    ("{name: ci, url: 'https://ci.example', events: [approved]}",
     "subscriptions[0].secret_env", "is missing"),
    ("{name: ci, url: 'https://ci.example', events: [approved], secret_env: 's3cr3t!'}",
     "subscriptions[0].secret_env", "is not a valid environment variable name"),
    ("{name: ci, url: 'https://ci.example', secret_env: S}", "subscriptions[0].events",
     "is missing"),
    ("{name: ci, url: 'https://ci.example', events: [], secret_env: S}",
     "subscriptions[0].events", "must be a non-empty list of event kinds"),
    ("{name: ci, url: 'https://ci.example', events: [refused], secret_env: S}",
     "subscriptions[0].events[0]", "'refused' events are audited but never delivered"),
    ("{name: ci, url: 'https://ci.example', events: [applied, applied], secret_env: S}",
     "subscriptions[0].events[1]", "applied is listed twice"),
    ("{name: ci, url: 'https://ci.example', events: [applied], secret_env: S, hook: x}",
     "subscriptions[0].hook", "unknown key 'hook'"),
    ("{name: ci, url: 'https://ci.example', events: [applied], secret_env: S, timeout: 2m}",
     "subscriptions[0].timeout", "2m is longer than a delivery may take"),
    ("{name: ci, url: 'https://ci.example', events: [applied], secret_env: S, "
     "match: {risk: huge}}", "subscriptions[0].match.risk", "'huge' is not a risk level"),
    ("{name: ci, url: 'https://ci.example', events: [applied], secret_env: S, "
     "match: {requester_group: seniors}}", "subscriptions[0].match.requester_group",
     "is not available to subscriptions"),
])
def test_each_problem_names_the_field(entry: str, path: str, problem: str) -> None:
    error = one(f"subscriptions: [{entry}]")
    assert error.startswith(f"p.yaml: {path}: ") and problem in error


def test_names_are_unique_and_the_list_is_a_list() -> None:
    entry = "{name: ci, url: 'https://ci.example', events: [approved], secret_env: S}"
    assert one(f"subscriptions: [{entry}, {entry}]") == (
        "p.yaml: subscriptions[1].name: 'ci' is already the name of subscriptions[0]; give "
        "each subscription a unique name")
    assert one("subscriptions: {ci: x}").startswith("p.yaml: subscriptions: must be a list")


@pytest.mark.parametrize(("value", "problem"), [
    ("https://jira.example/browse/", "has no {ticket} placeholder"),
    ("https://jira.example/{project}/{ticket}", "has a placeholder other than {ticket}"),
    ("javascript:alert({ticket})", "is not an http(s) URL"),
    ("https://jira.example/browse/{ticket}|x", "contains '|', which cannot be part of a link"),
    ("'https://jira.example/a b/{ticket}'", "contains ' ', which cannot be part of a link"),
    ("https://me:pw@jira.example/{ticket}", "carries a user name or password"),
    ("42", "must be a non-empty text, not the number 42"),
])
def test_a_ticket_url_that_cannot_be_a_link_is_refused(value: str, problem: str) -> None:
    error = one(f"ticket_url: {value}")
    assert error.startswith("p.yaml: ticket_url: ") and problem in error


def test_a_ticket_link_encodes_the_ticket() -> None:
    template = "https://jira.example/browse/{ticket}"
    assert ticket_link(template, "CHG-3192") == "https://jira.example/browse/CHG-3192"
    assert ticket_link(template, " a/b?c=<d>|e ") == (
        "https://jira.example/browse/a%2Fb%3Fc%3D%3Cd%3E%7Ce")
    assert ticket_link(template, "  ") is None and ticket_link(None, "CHG-1") is None


def change(risk: Risk, family: str = "bgp") -> ChangeRequest:
    content = Content(family, "update", "edge-1", risk, "x")
    return ChangeRequest(id="CHG-1", requester="req", metadata=Metadata("t", ticket="T-1"),
                         revisions=(Revision(1, content, "req", EPOCH),), created_at=EPOCH)


def test_a_subscription_hears_only_the_kinds_and_changes_it_names() -> None:
    policy = parse_policy(BASE + GOOD, "p.yaml")
    followers = Followers(policy.subscriptions, policy.ticket_url)

    def told(kind: EventKind, cr: ChangeRequest) -> list[str]:
        event = Event(kind, cr.id, "n1", EPOCH, 1, "sha256:x")
        messages = subscription_messages([event], {cr.id: cr}, followers, [41])
        return [str(m.payload["subscription"]["name"]) for m in messages]  # type: ignore[index]

    assert told(EventKind.APPLIED, change(Risk.HIGH)) == ["ci", "chat"]
    assert told(EventKind.APPROVED, change(Risk.HIGH)) == ["ci"]
    assert told(EventKind.APPROVED, change(Risk.LOW)) == []
    assert told(EventKind.APPROVED, change(Risk.HIGH, family="dns")) == []
    assert told(EventKind.COMMENT, change(Risk.HIGH)) == []
    [message] = subscription_messages([Event(EventKind.APPROVED, "CHG-1", "n1", EPOCH)],
                                      {"CHG-1": change(Risk.HIGH)}, followers, [41])
    assert message.payload["audit_seq"] == 41
    assert message.payload["change"]["ticket_url"] == (  # type: ignore[index]
        "https://jira.example/browse/T-1")


def test_an_unset_secret_is_named_at_start_up() -> None:
    policy = parse_policy(BASE + GOOD, "p.yaml")
    assert secret_problems(policy.subscriptions, {"CI_SECRET": "x"}) == [
        "subscription chat: CHAT_SECRET is not set, so its events cannot be signed and are "
        "retried, then dead-lettered, until it is"]
