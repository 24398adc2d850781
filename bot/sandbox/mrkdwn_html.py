"""Slack mrkdwn as safe HTML: bold, italic, strike, code, quotes, links, mentions and dates.

Everything the bot or a person wrote is escaped; only the markup made here is HTML.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from bot.sandbox import dates
from bot.sandbox.emoji import emojize
from bot.sandbox.viewer import Viewer

CODE_BLOCK = re.compile(r"```(.*?)```", re.S)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
CONTROL = re.compile(r"<([^<>\n]+)>")
SLOTS = re.compile("[\ue000-\uf8ff]")  # private-use characters stand for rendered pieces
EMPHASIS = (
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)(.+?)(?<=\S)~(?![\w~])"), "s"),
)
LINK_SCHEMES = ("http://", "https://", "mailto:")
BROADCASTS = frozenset({"here", "channel", "everyone"})


def decode(text: str) -> str:
    """Slack's three entities back to the characters they stand for."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def plain_html(text: str) -> str:
    """A plain_text object's text: escaped, emoji shortcodes shown."""
    return emojize(escape(text))


def to_html(text: str, viewer: Viewer) -> str:
    """One mrkdwn text as HTML; code blocks become <pre>, quotes <blockquote>, lines <br>."""
    out: list[str] = []
    position = 0
    for found in CODE_BLOCK.finditer(text):
        out.append(_lines(text[position:found.start()].removesuffix("\n"), viewer))
        code = decode(SLOTS.sub("", found.group(1))).strip("\n")
        out.append(f'<pre class="mk-pre">{escape(code)}</pre>')
        position = found.end()
        if text.startswith("\n", position):
            position += 1
    out.append(_lines(text[position:], viewer))
    return "".join(out)


def _lines(segment: str, viewer: Viewer) -> str:
    if not segment:
        return ""
    out: list[str] = []
    plain: list[str] = []
    quoted: list[str] = []
    for line in segment.split("\n"):
        if line.startswith(">"):  # a raw ">" starts a quote; a typed one arrives as &gt;
            if plain:
                out.append("<br>".join(plain))
                plain = []
            quoted.append(_inline(line[1:].removeprefix(" "), viewer))
            continue
        if quoted:
            out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
            quoted = []
        plain.append(_inline(line, viewer))
    if plain:
        out.append("<br>".join(plain))
    if quoted:
        out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
    return "".join(out)


def _inline(line: str, viewer: Viewer) -> str:
    slots: list[str] = []

    def stash(piece: str) -> str:
        slots.append(piece)
        return chr(0xE000 + len(slots) - 1)

    line = SLOTS.sub("", line)
    line = INLINE_CODE.sub(lambda m: stash(f"<code>{escape(decode(m.group(1)))}</code>"), line)
    line = CONTROL.sub(lambda m: stash(control(m.group(1), viewer)), line)
    text = escape(decode(line))
    for pattern, tag in EMPHASIS:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    text = emojize(text)
    return SLOTS.sub(lambda m: slots[ord(m.group(0)) - 0xE000], text)


def control(body: str, viewer: Viewer) -> str:
    """A `<…>` sequence: a mention, channel, user group, broadcast, date or link."""
    target, _, label = body.partition("|")
    label = decode(label)
    if target.startswith("@"):
        user = target[1:]
        me = " me" if user == viewer.user else ""
        name = viewer.names.get(user) or label or user
        return f'<span class="mention{me}" data-user="{escape(user)}">@{escape(name)}</span>'
    if target.startswith("#"):
        channel = target[1:]
        name = viewer.channels.get(channel) or label or channel
        return f'<a class="channel-link" data-channel="{escape(channel)}">#{escape(name)}</a>'
    if target.startswith("!subteam^"):
        group = target.removeprefix("!subteam^")
        handle = viewer.usergroups.get(group) or label.lstrip("@") or group
        return f'<span class="mention group">@{escape(handle)}</span>'
    if target.startswith("!date^"):
        return _date(target, label, viewer)
    if target.removeprefix("!") in BROADCASTS:
        return f'<span class="mention group">@{escape(target.removeprefix("!"))}</span>'
    url = decode(target)
    if url.startswith(LINK_SCHEMES):
        shown = escape(label or url)
        return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{shown}</a>'
    return escape(label or decode(body))


def _date(target: str, fallback: str, viewer: Viewer) -> str:
    parts = target.split("^")
    try:
        timestamp = int(parts[1])
        fmt = decode(parts[2])
    except (IndexError, ValueError):
        return escape(fallback or target)
    shown = dates.render(timestamp, fmt, viewer.tz, viewer.now)
    iso = datetime.fromtimestamp(timestamp, viewer.tz).isoformat()
    return f'<time datetime="{iso}" title="{escape(fallback)}">{escape(shown)}</time>'
