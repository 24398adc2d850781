"""How every command reports an error: one `changegate: …` line on stderr, exit code 1."""

from __future__ import annotations

import sys


def fail(*lines: str) -> int:
    """Print an error the way every command does and return exit code 1."""
    print("changegate: " + lines[0], file=sys.stderr)
    for line in lines[1:]:
        print(f"  {line}", file=sys.stderr)
    return 1
