"""The emoji shortcodes ChangeGate and its people are likely to write, as characters."""

from __future__ import annotations

import re

SHORTCODE = re.compile(r":([a-z0-9_+\-]+):")
EMOJI = {
    "arrows_counterclockwise": "🔄", "bell": "🔔", "calendar": "📆", "gear": "⚙️",
    "hourglass": "⌛", "hourglass_flowing_sand": "⏳", "large_green_circle": "🟢",
    "large_orange_circle": "🟠", "large_yellow_circle": "🟡", "red_circle": "🔴",
    "large_blue_circle": "🔵", "white_circle": "⚪", "black_circle": "⚫",
    "leftwards_arrow_with_hook": "↩️", "mag": "🔍", "memo": "📝", "no_entry": "⛔",
    "no_entry_sign": "🚫", "rotating_light": "🚨", "speech_balloon": "💬", "warning": "⚠️",
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "white_small_square": "▫️", "x": "❌",
    "rocket": "🚀", "lock": "🔒", "unlock": "🔓", "clock3": "🕒", "stopwatch": "⏱️",
    "tada": "🎉", "thumbsup": "👍", "+1": "👍", "thumbsdown": "👎", "-1": "👎", "eyes": "👀",
    "fire": "🔥", "boom": "💥", "question": "❓", "exclamation": "❗", "information_source": "ℹ️",
    "link": "🔗", "pushpin": "📌", "wrench": "🔧", "hammer_and_wrench": "🛠️", "key": "🔑",
    "page_facing_up": "📄", "clipboard": "📋", "inbox_tray": "📥", "outbox_tray": "📤",
    "arrow_right": "➡️", "arrow_left": "⬅️", "repeat": "🔁", "skull": "💀", "zap": "⚡",
    "construction": "🚧", "stop_sign": "🛑", "octagonal_sign": "🛑", "pencil2": "✏️",
    "pencil": "📝", "ballot_box_with_check": "☑️", "sparkles": "✨",
    "wave": "👋", "bust_in_silhouette": "👤", "busts_in_silhouette": "👥", "house": "🏠",
}


def emojize(text: str) -> str:
    """Replace known shortcodes; unknown ones stay as typed, as Slack shows a missing emoji."""
    return SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
