"""What the Slack listeners work with: engine, read queries, delivery and the Slack client."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.outbound.delivery import SlackDelivery
from bot.slack.outbound.homepub import HomePublisher
from bot.slack.outbound.membership import UsergroupMembership
from bot.slack.outbound.people import People
from bot.slack.sealing import MetadataSeal
from storage.ports.change_queries import ChangeQueries
from workflow.engine import Engine
from workflow.ports import Clock, Directory


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is in which workspace, from auth.test at start-up."""

    team_id: str
    bot_user_id: str
    bot_id: str
    url: str


@dataclass(frozen=True, slots=True)
class SlackServices:
    """Everything a listener may call; what a listener commits through the engine is delivered
    without its asking (every commit wakes the relay)."""

    engine: Engine
    changes: ChangeQueries
    directory: Directory
    people: People
    homes: HomePublisher
    delivery: SlackDelivery
    client: AsyncWebClient
    clock: Clock
    seal: MetadataSeal  # every form the listeners open goes out through it
    membership: UsergroupMembership | None = None
