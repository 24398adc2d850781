"""Short views of long outputs: the whole output is stored, the card shows its head."""

from __future__ import annotations


def summarise(output: str, limit: int = 2500) -> str:
    """The output if it fits in `limit` characters, else its first lines and what was left out."""
    if len(output) <= limit:
        return output
    lines = output.split("\n")
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    shown: list[str] = []
    used = 0
    for line in lines:
        note = _note(len(lines) - len(shown), len(output) - used, added, removed)
        if used + len(line) + 1 + len(note) > limit:
            break
        shown.append(line)
        used += len(line) + 1
    note = _note(len(lines) - len(shown), len(output) - used, added, removed)
    if not shown:
        room = max(limit - len(note), 0)
        return output[:room] + note[: limit - room]
    return "\n".join(shown) + note


def _note(lines: int, chars: int, added: int, removed: int) -> str:
    diff = f"; +{added} -{removed} lines in all" if added or removed else ""
    stored = "the whole output is stored"
    return (f"\n… {lines} more line{'s' * (lines != 1)} ({chars} character{'s' * (chars != 1)})"
            f" not shown{diff}; {stored}")
