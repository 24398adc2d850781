"""Copy as new, from a card's button: the engine makes a new draft with the content of a change
that ended without being applied (workflow.rules_copy), its dry-run runs where an executor is
bound, and the person who clicked gets the draft's card, with Edit and Submit on it.

A draft is what a person expects of a copy: nothing is sent for review until they have looked
at it, changed what made the first one fail if they want to (Edit), and pressed Submit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.slack.inbound.submissions import dry_run_note
from bot.slack.rendering.blocks import section
from bot.slack.rendering.card import render_card
from bot.slack.rendering.card_context import CardContext
from bot.slack.rendering.mrkdwn import clip, escape
from bot.slack.services import SlackServices

Answer = Callable[[str, list[dict[str, Any]]], Awaitable[None]]


async def copy_as_new(services: SlackServices, source_id: str, user: str, answer: Answer
                      ) -> None:
    """Copy `source_id` as `user` and show them the new draft (a refusal is raised)."""
    draft = await services.engine.copy(source_id, user)
    note = await dry_run_note(services, draft, user)
    draft = await services.changes.get(draft.id) or draft
    card = render_card(draft, CardContext(now=services.clock.now(),
                                          ticket_url=services.people.policy().ticket_url))
    head = (f":memo: You copied *{escape(source_id)}* as *{draft.id}* · "
            f"{escape(clip(draft.metadata.title, 200))}, a draft: nobody reviews it until you "
            "submit it. Press *Edit* to change it first, or *Submit* to send it for review "
            f"(`/change submit {draft.id}`).{note}")
    await answer(f"You copied {source_id} as {draft.id}, a draft",
                 [section(clip(head, 3000)), *card.blocks])
