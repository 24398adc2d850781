"""What people are shown of a local program: its name, never where it is installed."""

from __future__ import annotations

import os
from collections.abc import Sequence


def program_name(argv: Sequence[str]) -> str:
    """The program as people know it (`push`, not `/opt/changegate/bin/push`)."""
    return os.path.basename(argv[0]) or argv[0]


def without_paths(text: str, argv: Sequence[str]) -> str:
    """The program's own messages (`/opt/…/push: line 3: …`) with each absolute path of its
    argv cut to its name: the directories of the bot's host are nobody's business in Slack."""
    for arg in sorted((a for a in argv if os.path.isabs(a)), key=len, reverse=True):
        text = text.replace(arg, os.path.basename(arg) or arg)
    return text
