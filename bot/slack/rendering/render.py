"""The rendering entry point: cards, modals and App Home as Block Kit dicts."""

from __future__ import annotations

from bot.slack.rendering.card import notification_text, render_card
from bot.slack.rendering.card_context import CardContext, Message
from bot.slack.rendering.dryrun_modal import dry_run_modal
from bot.slack.rendering.home import HomeData, home_view
from bot.slack.rendering.modals import (
    ProposalForm,
    comment_modal,
    notice_modal,
    proposal_modal,
    reject_modal,
)
from storage.ports.cards import Audience
from storage.ports.change_queries import AuditAnchor, Settled

__all__ = [
    "Audience",
    "AuditAnchor",
    "CardContext",
    "HomeData",
    "Message",
    "ProposalForm",
    "Settled",
    "comment_modal",
    "dry_run_modal",
    "home_view",
    "notice_modal",
    "notification_text",
    "proposal_modal",
    "reject_modal",
    "render_card",
]
