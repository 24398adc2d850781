"""The full dry-run output in a modal, split into pages that each stay within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.slack.rendering import ids
from bot.slack.rendering.blocks import context, modal, section
from bot.slack.rendering.mrkdwn import ago, person
from bot.slack.rendering.pager import SECTIONS_PER_PAGE, chunks, code_sections, paged_modal
from workflow.model import ChangeRequest

CHUNKS_PER_PAGE = SECTIONS_PER_PAGE
PREVIOUS = f"{ids.DRY_RUN_PAGE}_prev"
NEXT = f"{ids.DRY_RUN_PAGE}_next"


def page_count(output: str) -> int:
    """How many pages the output takes."""
    return max(1, -(-len(chunks(output)) // CHUNKS_PER_PAGE))


def dry_run_modal(cr: ChangeRequest, page: int = 1) -> dict[str, Any]:
    """Page `page` (from 1) of the dry-run output, with previous/next buttons when long."""
    title = f"Dry-run {cr.id}"
    dry_run = cr.dry_run
    if dry_run is None:
        return modal(title, [section(f"{cr.id} has no dry-run for revision {cr.revision} yet.")])
    head = [context(f"Revision {dry_run.revision} · `sha256:{dry_run.digest}`",
                    f"by {person(dry_run.producer)}, taken {ago(dry_run.taken_at)}")]
    return paged_modal(title, head, code_sections(dry_run.output), page, ids.DRY_RUN_PAGE, cr.id)
