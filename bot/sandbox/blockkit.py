"""Block Kit as HTML: the layout blocks and elements the bot sends, and a marker for the rest.

Interactive elements carry their ids in data attributes; the page's script sends them back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.sandbox.inputs import input_block
from bot.sandbox.mrkdwn_html import escape, plain_html, to_html
from bot.sandbox.viewer import Viewer

Block = dict[str, Any]


def text_html(obj: Any, viewer: Viewer) -> str:
    """A text object: mrkdwn rendered, plain_text escaped."""
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    return to_html(text, viewer) if obj.get("type") == "mrkdwn" else plain_html(text)


def plain_text(obj: Any) -> str:
    """The text of a plain_text object, unrendered (titles, labels of dialogs)."""
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def blocks_html(blocks: list[Block], viewer: Viewer) -> str:
    """A message's, modal's or Home tab's blocks, in order."""
    return "".join(block_html(block, viewer) for block in blocks if isinstance(block, dict))


def message_html(text: str, blocks: list[Block], viewer: Viewer) -> str:
    """What a client shows for a message: its blocks, or its text when it has none."""
    if blocks:
        return blocks_html(blocks, viewer)
    text_html = to_html(text, viewer)
    return f'<div class="bk-block bk-section"><div class="bk-text">{text_html}</div></div>'


def block_html(block: Block, viewer: Viewer) -> str:
    render = RENDERERS.get(str(block.get("type")))
    if render is None:
        return _unsupported("block", block.get("type"))
    return render(block, viewer)


def _header(block: Block, viewer: Viewer) -> str:
    return f'<div class="bk-block bk-header">{text_html(block.get("text"), viewer)}</div>'


def _section(block: Block, viewer: Viewer) -> str:
    body = ""
    if block.get("text"):
        body += f'<div class="bk-text">{text_html(block["text"], viewer)}</div>'
    fields = block.get("fields") or []
    if fields:
        cells = "".join(f'<div class="bk-field">{text_html(f, viewer)}</div>' for f in fields)
        body += f'<div class="bk-fields">{cells}</div>'
    accessory = block.get("accessory")
    side = (f'<div class="bk-accessory">{element_html(accessory, block, viewer)}</div>'
            if isinstance(accessory, dict) else "")
    return (f'<div class="bk-block bk-section"{_block_id(block)}>'
            f'<div class="bk-section-body">{body}</div>{side}</div>')


def _context(block: Block, viewer: Viewer) -> str:
    parts = []
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") == "image":
            parts.append(_image(element, "bk-context-image"))
        else:
            parts.append(f'<span class="bk-context-item">{text_html(element, viewer)}</span>')
    return f'<div class="bk-block bk-context">{"".join(parts)}</div>'


def _divider(block: Block, viewer: Viewer) -> str:
    return '<hr class="bk-block bk-divider">'


def _actions(block: Block, viewer: Viewer) -> str:
    elements = "".join(element_html(e, block, viewer) for e in block.get("elements") or []
                       if isinstance(e, dict))
    return f'<div class="bk-block bk-actions"{_block_id(block)}>{elements}</div>'


def _image_block(block: Block, viewer: Viewer) -> str:
    title = plain_html(plain_text(block.get("title")))
    caption = f"<figcaption>{title}</figcaption>" if title else ""
    return f'<figure class="bk-block bk-image">{_image(block, "")}{caption}</figure>'


def _input(block: Block, viewer: Viewer) -> str:
    return input_block(block, viewer, text_html)


def element_html(element: Block, block: Block, viewer: Viewer) -> str:
    """An interactive element of an actions block or a section's accessory."""
    if element.get("type") == "button":
        return button_html(element, block, viewer)
    if element.get("type") == "image":
        return _image(element, "bk-accessory-image")
    return _unsupported("element", element.get("type"))


def button_html(element: Block, block: Block, viewer: Viewer) -> str:
    """A button; its confirm dialog rides along as JSON, shown by the page before sending."""
    style = element.get("style")
    classes = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
    attributes = {
        "data-action-id": element.get("action_id", ""),
        "data-block-id": block.get("block_id", ""),
        "data-value": element.get("value", ""),
    }
    url = element.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        attributes["data-url"] = url
        goto = _card_link(url, viewer)
        if goto:
            attributes["data-goto"] = goto
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        attributes["data-confirm"] = json.dumps({
            "title": plain_text(confirm.get("title")) or "Are you sure?",
            "text": text_html(confirm.get("text"), viewer),
            "confirm": plain_text(confirm.get("confirm")) or "Yes",
            "deny": plain_text(confirm.get("deny")) or "Cancel",
            "style": confirm.get("style") or "",
        })
    shown = "".join(f' {name}="{escape(str(value))}"' for name, value in attributes.items())
    label = plain_html(plain_text(element.get("text")))
    return f'<button type="button" class="{classes}"{shown}>{label}</button>'


def _card_link(url: str, viewer: Viewer) -> str:
    """`C0CHANGES/1790000001.000001` for a link to a message of this workspace, else ""."""
    if not viewer.workspace_url or not url.startswith(viewer.workspace_url + "archives/"):
        return ""
    channel, _, permalink = url.removeprefix(viewer.workspace_url + "archives/").partition("/")
    digits = permalink.removeprefix("p")
    if not digits.isdigit() or len(digits) < 7:
        return ""
    return f"{channel}/{digits[:-6]}.{digits[-6:]}"


def _image(element: Block, css: str) -> str:
    url = str(element.get("image_url") or "")
    if not url.startswith(("http://", "https://")):
        return _unsupported("image", "without an http(s) address")
    alt = escape(str(element.get("alt_text", "")))
    return f'<img class="{css}" src="{escape(url)}" alt="{alt}" loading="lazy">'


def _block_id(block: Block) -> str:
    block_id = block.get("block_id")
    return f' data-block-id="{escape(str(block_id))}"' if block_id else ""


def _unsupported(what: str, kind: Any) -> str:
    return (f'<div class="bk-unsupported">The sandbox does not show this {what}: '
            f"{escape(str(kind))}</div>")


RENDERERS: dict[str, Callable[[Block, Viewer], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "image": _image_block,
    "input": _input,
}
