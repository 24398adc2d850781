"""The full dry-run output in a modal, split into pages that each stay within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.slack import ids
from bot.slack.blocks import Block, actions, button, context, modal, section
from bot.slack.mrkdwn import ago, code_text, person, preformatted
from workflow.model import ChangeRequest

CHUNK_CHARS = 2800  # a section holds 3000 characters, fences and zero-width breaks included
CHUNKS_PER_PAGE = 12
PREVIOUS = f"{ids.DRY_RUN_PAGE}_prev"
NEXT = f"{ids.DRY_RUN_PAGE}_next"




def chunks(output: str, size: int = CHUNK_CHARS) -> list[str]:
    """The escaped output cut at line ends into pieces of at most `size` characters."""
    pieces: list[str] = []
    current = ""
    for line in code_text(output).splitlines(keepends=True):
        while len(line) > size:
            if current:
                pieces.append(current)
                current = ""
            cut = _safe_cut(line, size)
            pieces.append(line[:cut])
            line = line[cut:]
        if len(current) + len(line) > size:
            pieces.append(current)
            current = ""
        current += line
    if current or not pieces:
        pieces.append(current)
    return pieces


def _safe_cut(line: str, size: int) -> int:
    """A cut at or before `size` that splits neither an entity (&amp;) nor a broken fence."""
    cut = size
    amp = line.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    if line[cut - 1:cut] == "`":
        cut -= 1
    return max(cut, 1)


def page_count(output: str) -> int:
    """How many pages the output takes."""
    return max(1, -(-len(chunks(output)) // CHUNKS_PER_PAGE))


def dry_run_modal(cr: ChangeRequest, page: int = 1) -> dict[str, Any]:
    """Page `page` (from 1) of the dry-run output, with previous/next buttons when long."""
    title = f"Dry-run {cr.id}"
    dry_run = cr.dry_run
    if dry_run is None:
        return modal(title, [section(f"{cr.id} has no dry-run for revision {cr.revision} yet.")])
    pieces = chunks(dry_run.output)
    pages = max(1, -(-len(pieces) // CHUNKS_PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * CHUNKS_PER_PAGE
    blocks: list[Block] = [
        context(
            f"Revision {dry_run.revision} · `sha256:{dry_run.digest}`",
            f"by {person(dry_run.producer)}, taken {ago(dry_run.taken_at)}",
        )
    ]
    blocks += [
        section(preformatted(p.rstrip("\n") or " "))
        for p in pieces[start:start + CHUNKS_PER_PAGE]
    ]
    if pages > 1:
        blocks.append(context(f"Page {page} of {pages}"))
        row = []
        if page > 1:
            row.append(button("Previous", PREVIOUS, f"{cr.id}:{page - 1}"))
        if page < pages:
            row.append(button("Next", NEXT, f"{cr.id}:{page + 1}"))
        blocks.append(actions("cg_pages", *row))
    return modal(title, blocks)


def parse_page_value(value: str) -> tuple[str, int]:
    """The change and page a previous/next button points at."""
    change_id, _, page = value.rpartition(":")
    return change_id, int(page) if page.isdigit() else 1
