"""Events API listeners: App Home opened, and user-group membership changed."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.inbound.payload import actor
from bot.slack.manifest import BOT_EVENTS
from bot.slack.services import SlackServices
from workflow.progress import active_stage


def register(app: AsyncApp, services: SlackServices) -> None:
    """Attach every event the manifest subscribes to (Bolt acks events itself)."""
    assert set(BOT_EVENTS) == {"app_home_opened", "subteam_members_changed"}

    @app.event("app_home_opened")
    async def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await services.homes.publish(actor(body))

    @app.event("subteam_members_changed")
    async def members_changed(event: dict[str, Any]) -> None:
        group = str(event.get("subteam_id", ""))
        if services.membership is None or not group:
            return
        await services.membership.refresh(group)
        await refresh_cards_using(services, group)


async def refresh_cards_using(services: SlackServices, usergroup_id: str) -> None:
    """Re-render cards in review whose active stage needs that group (it may be short now)."""
    policy_groups = services.people.groups_using(usergroup_id)
    for cr in await services.changes.in_review(500):
        index = active_stage(cr)
        if cr.workflow and index is not None and cr.workflow.stages[index].groups & policy_groups:
            await services.delivery.refresh(cr.id)
