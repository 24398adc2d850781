"""Slack's published Web API rate limits, one table for the bot's pacing and the fake Slack.

Tiers are "per API method per workspace per app": Tier 1 1+ a minute, Tier 2 20+, Tier 3 50+,
Tier 4 100+; chat.postMessage allows about one message a second per channel ("short bursts >1
allowed") within a workspace-wide limit of several hundred a minute; an exceeded limit answers
HTTP 429 with Retry-After in seconds (https://docs.slack.dev/apis/web-api/rate-limits). Slack
publishes no burst sizes: the bursts here are small guesses, so a bot that keeps to them keeps to
Slack's.
"""

from __future__ import annotations

from dataclasses import dataclass

POST = "chat.postMessage"


@dataclass(frozen=True, slots=True)
class Limit:
    """`per_minute` calls sustained, `burst` of them at once after a pause."""

    per_minute: float
    burst: int

    @property
    def per_s(self) -> float:
        return self.per_minute / 60

    def kept(self, replicas: int = 1) -> Limit:
        """What one of `replicas` processes sharing the app allows itself: its share of the rate
        and of one call less of burst, so a call delayed on the way never arrives early by
        Slack's count and the replicas together stay within Slack's limit."""
        return Limit(self.per_minute / replicas, max(1, (self.burst - 1) // replicas))


TIER_1 = Limit(1, 1)
TIER_2 = Limit(20, 3)
TIER_3 = Limit(50, 5)
TIER_4 = Limit(100, 10)
POST_PER_CHANNEL = Limit(60, 3)
POST_PER_WORKSPACE = Limit(300, 30)

# The methods the bot calls (docs/slack.md lists where each tier is published).
TIERED: dict[str, Limit] = {
    "chat.update": TIER_3,
    "chat.postEphemeral": TIER_4,
    "conversations.open": TIER_3,
    "users.info": TIER_4,
    "usergroups.users.list": TIER_2,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
}
WORKSPACE = "*"


def limits_of(method: str, channel: str | None) -> list[tuple[tuple[str, str], Limit]]:
    """Every limit a call counts against, each with its key: (method, channel or "*")."""
    if method == POST:
        return [((POST, channel or ""), POST_PER_CHANNEL),
                ((POST, WORKSPACE), POST_PER_WORKSPACE)]
    limit = TIERED.get(method)
    return [((method, WORKSPACE), limit)] if limit is not None else []
