"""Long text in a modal: cut into code sections within Block Kit's limits, then into pages with
previous and next buttons, so nothing is ever cut silently."""

from __future__ import annotations

from typing import Any

from bot.slack.rendering.blocks import Block, actions, button, context, modal, section
from bot.slack.rendering.mrkdwn import code_text, preformatted

CHUNK_CHARS = 2800  # a section holds 3000 characters, fences and zero-width breaks included
SECTIONS_PER_PAGE = 12  # at most ~34 000 characters a page, far below views' 250 kB


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """The escaped text cut at line ends into pieces of at most `size` characters."""
    pieces: list[str] = []
    current = ""
    for line in code_text(text).splitlines(keepends=True):
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
    """A cut at or before `size` that splits neither an entity (&amp;), a bidi mark
    (⟪U+202E⟫) nor a broken fence."""
    cut = size
    amp = line.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    mark = line.rfind("⟪", max(0, cut - 8), cut)
    if mark > 0 and "⟫" not in line[mark:cut]:
        cut = mark
    if line[cut - 1:cut] == "`":
        cut -= 1
    return max(cut, 1)


def code_sections(text: str) -> list[Block]:
    """The text as consecutive code-block sections."""
    return [section(preformatted(p.rstrip("\n") or " ")) for p in chunks(text)]


def page_total(body: list[Block]) -> int:
    """How many pages `body` takes."""
    return max(1, -(-len(body) // SECTIONS_PER_PAGE))


def paged_modal(title: str, head: list[Block], body: list[Block], page: int, prefix: str,
                change_id: str) -> dict[str, Any]:
    """Page `page` (from 1) of `body` under `head`; previous/next buttons (action ids
    `<prefix>_prev` / `<prefix>_next`, values "<change>:<page>") when there is more than one."""
    pages = page_total(body)
    page = min(max(page, 1), pages)
    start = (page - 1) * SECTIONS_PER_PAGE
    blocks = [*head, *body[start:start + SECTIONS_PER_PAGE]]
    if pages > 1:
        blocks.append(context(f"Page {page} of {pages}"))
        row = []
        if page > 1:
            row.append(button("Previous", f"{prefix}_prev", f"{change_id}:{page - 1}"))
        if page < pages:
            row.append(button("Next", f"{prefix}_next", f"{change_id}:{page + 1}"))
        blocks.append(actions("cg_pages", *row))
    return modal(title, blocks)


def parse_page_value(value: str) -> tuple[str, int]:
    """The change and page a previous/next button points at."""
    change_id, _, page = value.rpartition(":")
    return change_id, int(page) if page.isdigit() else 1


def text_sections(lines: list[str], size: int = CHUNK_CHARS) -> list[Block]:
    """Lines of mrkdwn (already escaped) packed into sections; a line too long for one section
    continues in the next, never dropped."""
    pieces: list[str] = []
    current = ""
    for line in lines:
        while len(line) > size:
            cut = _safe_cut(line, size)
            pieces += [p for p in (current, line[:cut]) if p]
            current, line = "", line[cut:]
        if current and len(current) + 1 + len(line) > size:
            pieces.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current or " ")
    return [section(p) for p in pieces]
